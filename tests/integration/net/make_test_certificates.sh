#!/usr/bin/env bash
# Makes a private CA and two server certificates for the server-side stream
# tests, into the directory given: ca.crt, first.{crt,key} (CN first.test) and
# second.{crt,key} (CN second.test), both for IP 127.0.0.1 and localhost, so
# a test can tell which certificate a connection got (the reload test). EC
# P-256 keys: made in milliseconds, and TLS 1.0 can still use them (ECDSA with
# SHA-1 at security level 0). Nothing is kept outside that directory.
set -eu
dir=$1
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout ca.key -out ca.crt -subj "/CN=mailoauth net test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" >server.ext
for name in first second; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$name.key" -out "$name.csr" -subj "/CN=$name.test"
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out "$name.crt"
done
rm -f ./*.csr server.ext ca.srl
