# shellcheck shell=bash
# testca.sh - throw-away certificates for the STARTTLS tests, made with
# openssl at test time (nothing secret is kept in the tree).
#
#   . tests/lib/testca.sh
#   ca_make DIR    create in DIR (absolute):
#     ca.crt                the test CA ("Lockdown Test CA"), the one the
#                           MTA trusts; also cacerts/ (hashed, for Sendmail)
#     server.crt/.key       the MTA's certificate, CN mta.example.test
#     good.crt/.key         CN mx1.mailroute.test, signed by the CA
#     wrong.crt/.key        CN mx1.wrongroute.test, signed by the CA
#     rogue.crt/.key        CN mx1.mailroute.test, signed by a second CA
#                           the MTA does not trust (rogue-ca.crt)
#     secure.crt/.key       CN relay.securefilter.test, signed by the CA
#   ca_client DIR NAME CN [ISSUER]
#                 one more client certificate NAME.crt/.key with subject
#                 CN, signed by ISSUER (ca, the default, or rogue-ca)
#
# Keys are EC P-256 (fast to make), mode 0600, root's: Sendmail refuses
# key files that others may read. Certificates are valid for 30 days.
# Client certificates carry extendedKeyUsage clientAuth, the server's
# serverAuth.
# Returns non-zero and says why on stderr when openssl fails.

ca__die() {
    echo "testca.sh: $*" >&2
    return 1
}

# ca__key FILE: a new P-256 key, readable by its owner only.
ca__key() {
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$1" 2>/dev/null) || ca__die "cannot make key $1"
}

# ca__root DIR NAME CN: a self-signed CA NAME.crt/NAME.key.
ca__root() {
    local dir=$1 name=$2 cn=$3
    ca__key "$dir/$name.key" || return
    openssl req -new -x509 -key "$dir/$name.key" -out "$dir/$name.crt" \
        -days 30 -subj "/O=lockdown-milter tests/CN=$cn" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>"$dir/$name.err" ||
        { cat "$dir/$name.err" >&2; ca__die "cannot make CA $name" || return; }
    rm -f "$dir/$name.err"
}

# ca__sign DIR NAME CN ISSUER EKU: NAME.crt for CN, signed by ISSUER.
ca__sign() {
    local dir=$1 name=$2 cn=$3 issuer=$4 eku=$5
    ca__key "$dir/$name.key" || return
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyAgreement" \
        "extendedKeyUsage=$eku" "subjectAltName=DNS:$cn" \
        "authorityKeyIdentifier=keyid" >"$dir/$name.ext"
    openssl req -new -key "$dir/$name.key" -subj "/O=lockdown-milter tests/CN=$cn" \
        -out "$dir/$name.csr" 2>"$dir/$name.err" &&
        openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$issuer.crt" \
            -CAkey "$dir/$issuer.key" -CAcreateserial -days 30 \
            -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>>"$dir/$name.err" ||
        { cat "$dir/$name.err" >&2; ca__die "cannot sign $name ($cn)" || return; }
    rm -f "$dir/$name.csr" "$dir/$name.ext" "$dir/$name.err"
}

ca_client() {
    local dir=$1 name=$2 cn=$3 issuer=${4:-ca}
    ca__sign "$dir" "$name" "$cn" "$issuer" clientAuth
}

ca_make() {
    local dir=$1
    case "$dir" in
        /*) ;;
        *) ca__die "ca_make: directory must be absolute: '$dir'" || return ;;
    esac
    command -v openssl >/dev/null || ca__die "openssl missing" || return
    mkdir -p "$dir" || return
    chmod 755 "$dir"
    ca__root "$dir" ca "Lockdown Test CA" || return
    ca__root "$dir" rogue-ca "Lockdown Rogue CA" || return
    ca__sign "$dir" server mta.example.test ca serverAuth || return
    ca_client "$dir" good mx1.mailroute.test || return
    ca_client "$dir" wrong mx1.wrongroute.test || return
    ca_client "$dir" rogue mx1.mailroute.test rogue-ca || return
    ca_client "$dir" secure relay.securefilter.test || return
    # Sendmail's CACertPath: a directory of hashed links to trusted CAs.
    mkdir -p "$dir/cacerts" && cp "$dir/ca.crt" "$dir/cacerts/" &&
        openssl rehash "$dir/cacerts" >/dev/null 2>&1 ||
        ca__die "cannot hash $dir/cacerts" || return
    # The chains must verify the way the MTA will check them.
    openssl verify -CAfile "$dir/ca.crt" "$dir/good.crt" "$dir/server.crt" >/dev/null ||
        ca__die "the test CA does not verify its own certificates" || return
    if openssl verify -CAfile "$dir/ca.crt" "$dir/rogue.crt" >/dev/null 2>&1; then
        ca__die "the rogue certificate verifies against the test CA" || return
    fi
}
