# Sourced by setup.sh and bench.sh: installs the Debian packages that are missing. apt-get needs
# root; CI and these machines run as root, a laptop may use sudo. Callers define `say`;
# APT_TIMEOUT (seconds, 0 = none) bounds the install.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive timeout "${APT_TIMEOUT:-0}" $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
