"""An ML2 mechanism driver that binds every port, on any host, with no agent.

The devcloud runs Neutron's API server alone: no L2 agent ever reports, so
the shipped drivers leave ports unbound and Nova fails the boot. Neutron's
own test drivers bind only for special host names. This one binds the first
segment offered, marks the port ACTIVE at once and claims no filtering.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class AnyHostMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_OTHER,
                {portbindings.CAP_PORT_FILTER: False},
                status=constants.PORT_STATUS_ACTIVE,
            )
            return
