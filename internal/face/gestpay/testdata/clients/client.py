"""A merchant's Python code against WSCryptDecrypt, written with zeep: it
reads the WSDL, binds the SOAP 1.1 or 1.2 port the WSDL declares, calls the
address in it, and reads the GestPayCryptDecrypt element of each result.

python3 client.py WSDL_URL 1.1|1.2 encrypt SHOP APIKEY SHOP_TRANSACTION_ID AMOUNT
python3 client.py WSDL_URL 1.1|1.2 decrypt SHOP APIKEY CRYPTED_STRING
prints the GestPayCryptDecrypt it got as JSON.
"""
import json
import sys

import zeep
from zeep.plugins import HistoryPlugin

wsdl, version, op, shop, key = sys.argv[1:6]
history = HistoryPlugin()
client = zeep.Client(wsdl, plugins=[history])
port = "WSCryptDecryptSoap12" if version == "1.2" else "WSCryptDecryptSoap"
service = client.bind("WSCryptDecrypt", port)
try:
    if op == "encrypt":
        res = service.Encrypt(
            shopLogin=shop, uicCode="242", amount=sys.argv[7], shopTransactionId=sys.argv[6],
            buyerName="Mario Rossi", buyerEmail="mario@example.com", languageId="1",
            customInfo="STORE_ID=1*P1*STORE_NAME=Negozio", apikey=key)
    else:
        res = service.Decrypt(shopLogin=shop, CryptedString=sys.argv[6], apikey=key)
except zeep.exceptions.Fault as f:
    print("Fault:", f.message, file=sys.stderr)
    sys.exit(2)

# EncryptResult is mixed content holding any element: zeep unwraps the
# response to its only value, the GestPayCryptDecrypt, as an lxml element
# (or an object whose _value_1 holds it).
el = res if hasattr(res, "tag") else res["_value_1"]
if isinstance(el, list):
    el = next(v for v in el if hasattr(v, "tag"))
if el.tag != "GestPayCryptDecrypt":
    print("not a GestPayCryptDecrypt:", el.tag, file=sys.stderr)
    sys.exit(3)
out = {}
for child in el:
    out[child.tag] = {c.tag: c.text or "" for c in child} if len(child) else (child.text or "")
sent = history.last_sent["envelope"]
out["_envelope"] = "1.2" if sent.tag.startswith("{http://www.w3.org/2003/05/soap-envelope}") else "1.1"
print(json.dumps(out))
