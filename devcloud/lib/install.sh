# The devcloud's own virtualenv: the pinned services and devcloud/plugin.
# Sourced by devcloud/up. A stamp of what was installed skips pip next time.

install_stamp() {
    cat "$DEVCLOUD/requirements.txt" "$DEVCLOUD/plugin/pyproject.toml" \
        "$DEVCLOUD"/plugin/jiyun_devcloud/*.py | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local want
    want=$(install_stamp)
    [[ -f $VENV/.devcloud-stamp && $(< "$VENV/.devcloud-stamp") == "$want" ]] && return 0
    say "installing the OpenStack services into $VENV (a few minutes; log: $LOGS/pip.log)"
    local t0=$EPOCHREALTIME
    [[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -r "$DEVCLOUD/requirements.txt" >> "$LOGS/pip.log" 2>&1 \
        || die "pip install failed; see $LOGS/pip.log"
    # Built from a copy, so that the build leaves nothing in devcloud/plugin.
    rm -rf "$VAR/build"; mkdir -p "$VAR/build"
    cp -r "$DEVCLOUD/plugin" "$VAR/build/plugin"
    "$VENV/bin/pip" install "$VAR/build/plugin" >> "$LOGS/pip.log" 2>&1 \
        || die "installing devcloud/plugin failed; see $LOGS/pip.log"
    rm -rf "$VAR/build"
    echo "$want" > "$VENV/.devcloud-stamp"
    awk "BEGIN { printf \"%.0f\\n\", $EPOCHREALTIME - $t0 }" > "$STATE/pip-install-seconds"
}
