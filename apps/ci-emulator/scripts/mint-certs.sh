#!/usr/bin/env bash
# Mints the test PKI the ci-emulator and its clients use, with openssl:
#   ca.pem / ca-key.pem               a test CA ("ci-emulator test CA")
#   https.pem / https-key.pem         the emulator's HTTPS server (Entra, providers API, /emulator/)
#   recorder.pem / recorder-key.pem   the SIPREC recorder (SIPS server)
#   carrier.pem / carrier-key.pem     a carrier's SIPS client certificate (CN=sbc.carrier.example)
#   app.pem / app-key.pem             an Entra app's certificate credential (self-signed, for client assertions)
# Server certificates carry DNS:localhost, IP:127.0.0.1 and the recorder
# names *.media.recording.dynamics.com (only ever resolved to loopback here).
#
# Usage:
#   mint-certs.sh <dir>                          mint whatever is missing (idempotent)
#   mint-certs.sh <dir> --force                  mint everything again
#   mint-certs.sh <dir> client <name> <CN> [O]   another client certificate <name>.pem signed by the CA
#   mint-certs.sh <dir> ca <name> <CN>           another CA <name>.pem (for "wrong issuer" tests)
#   mint-certs.sh <dir> signed-by <ca-name> <name> <CN> [O]   a client certificate signed by CA <ca-name>
set -euo pipefail
dir=${1:?usage: mint-certs.sh <dir> [--force | client <name> <CN> [O] | ca <name> <CN> | signed-by <ca> <name> <CN> [O]]}
shift
mkdir -p "$dir"
cd "$dir"
umask 077
days=825

command -v openssl >/dev/null || { echo "mint-certs: openssl is not installed (apt-get install -y openssl)" >&2; exit 1; }

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
new_rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

mint_ca() { # name CN
  new_key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -sha256 -days "$days" -subj "/O=ci-connector test/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem" 2>/dev/null
  chmod 644 "$1.pem"
}

mint_leaf() { # ca name subject ext...
  local ca=$1 name=$2 subj=$3; shift 3
  new_key "$name-key.pem"
  openssl req -new -key "$name-key.pem" -subj "$subj" -out "$name.csr" 2>/dev/null
  local ext; ext=$(mktemp)
  printf '%s\n' "$@" > "$ext"
  openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca-key.pem" -CAcreateserial -days "$days" -sha256 -extfile "$ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$ext"
  chmod 644 "$name.pem"
}

subject_of() { # CN [O]
  if [ -n "${2:-}" ]; then printf '/O=%s/CN=%s' "$2" "$1"; else printf '/CN=%s' "$1"; fi
}

server_ext=("basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth"
  "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:media.recording.dynamics.com,DNS:*.media.recording.dynamics.com")
client_ext=("basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth,serverAuth")

case "${1:-}" in
  client)
    mint_leaf ca "${2:?name}" "$(subject_of "${3:?CN}" "${4:-}")" "${client_ext[@]}" "subjectAltName=DNS:${3}"
    echo "mint-certs: $dir/$2.pem ($(openssl x509 -in "$2.pem" -noout -subject))"
    exit 0 ;;
  ca)
    mint_ca "${2:?name}" "${3:?CN}"
    echo "mint-certs: $dir/$2.pem"
    exit 0 ;;
  signed-by)
    mint_leaf "${2:?ca name}" "${3:?name}" "$(subject_of "${4:?CN}" "${5:-}")" "${client_ext[@]}" "subjectAltName=DNS:${4}"
    echo "mint-certs: $dir/$3.pem"
    exit 0 ;;
  --force) rm -f ca.pem ca-key.pem https.pem https-key.pem recorder.pem recorder-key.pem carrier.pem carrier-key.pem app.pem app-key.pem ca.srl ;;
  '') ;;
  *) echo "mint-certs: unknown argument $1" >&2; exit 2 ;;
esac

[ -f ca.pem ] || mint_ca ca "ci-emulator test CA"
[ -f https.pem ] || mint_leaf ca https "/O=ci-emulator/CN=localhost" "${server_ext[@]}"
[ -f recorder.pem ] || mint_leaf ca recorder "/O=ci-emulator/CN=media.recording.dynamics.com" "${server_ext[@]}"
[ -f carrier.pem ] || mint_leaf ca carrier "$(subject_of sbc.carrier.example "Example Carrier")" "${client_ext[@]}" "subjectAltName=DNS:sbc.carrier.example"
if [ ! -f app.pem ]; then
  # msal-node signs client assertions with RS256 (or PS256): an RSA key.
  new_rsa_key app-key.pem
  openssl req -x509 -new -key app-key.pem -sha256 -days "$days" -subj "/CN=ci-connector provider app" -out app.pem 2>/dev/null
fi
chmod 644 ./*.pem
chmod 600 ./*-key.pem
echo "mint-certs: test PKI in $dir (ca.pem, https.pem, recorder.pem, carrier.pem, app.pem and their keys)"
