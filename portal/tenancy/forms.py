"""The quota form."""

from flask_wtf import FlaskForm


class QuotaForm(FlaskForm):
    """Only CSRF here: the resource fields are read from the request by name."""
