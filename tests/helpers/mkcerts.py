#!/usr/bin/python3
"""mkcerts.py DIR SAN...: a test CA and two server certificates for the
subjectAltNames given ("DNS:localhost", "IP:127.0.0.1"), with Debian's
python3-cryptography:
  DIR/ca.crt, ca.key     the CA, valid 2020-01-01 to 2040-01-01
  DIR/old.crt, old.key   valid 2020-01-01 to 2040-01-01: before any build of
                         the program, so a clock in 1970 fails it unless the
                         build date stands in for the clock
  DIR/new.crt, new.key   valid from now: after the program was built, so the
                         build date cannot stand in for a 1970 clock
"""
import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

d = sys.argv[1]
sans = [x509.IPAddress(ipaddress.ip_address(s[3:])) if s.startswith('IP:') else x509.DNSName(s[4:])
        for s in sys.argv[2:]]
old_from = datetime.datetime(2020, 1, 1)
old_to = datetime.datetime(2040, 1, 1)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def save(name, k, cert):
    with open(os.path.join(d, name + '.key'), 'wb') as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    with open(os.path.join(d, name + '.crt'), 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


ca_key = key()
ca = (x509.CertificateBuilder().subject_name(name('early-boot test CA')).issuer_name(name('early-boot test CA'))
      .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
      .not_valid_before(old_from).not_valid_after(old_to)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .sign(ca_key, hashes.SHA256()))
save('ca', ca_key, ca)
for n, start in (('old', old_from), ('new', datetime.datetime.utcnow() - datetime.timedelta(minutes=5))):
    k = key()
    c = (x509.CertificateBuilder().subject_name(name('registry')).issuer_name(ca.subject)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(old_to)
         .add_extension(x509.SubjectAlternativeName(sans), critical=False)
         .sign(ca_key, hashes.SHA256()))
    save(n, k, c)
