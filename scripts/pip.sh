# Sourced by the scripts that need a Python tool from PyPI (schemathesis, openapi-python-client):
# `pip_tool VENV PACKAGE VERSION COMMAND` installs PACKAGE==VERSION into its own virtualenv VENV
# unless `VENV/bin/COMMAND --version` already ends with VERSION. Callers define `say` and `die`.
pip_version() { "$1/bin/$2" --version 2>/dev/null | awk '{print $NF}'; }

pip_tool() {
  local venv="$1" package="$2" version="$3" command="$4"
  [ "$(pip_version "$venv" "$command")" = "$version" ] && return 0
  command -v python3 >/dev/null || die "python3 is missing"
  if [ ! -x "$venv/bin/pip" ]; then
    say "creating the virtualenv $venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  fi
  say "installing $package $version into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$package==$version"
  [ "$(pip_version "$venv" "$command")" = "$version" ] || die "$package $version did not install"
}
