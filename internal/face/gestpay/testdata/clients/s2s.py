"""A merchant's Python back office against WSs2s, written with zeep: it
reads the WSDL, binds the SOAP 1.1 or 1.2 port the WSDL declares, calls the
address in it, and reads the GestPayS2S element of each result.

python3 s2s.py WSDL_URL 1.1|1.2 OPERATION PARAMS_JSON
calls OPERATION with the parameters of the JSON object and prints the
GestPayS2S it got as JSON: an element with children as an object, a
repeated element as a list.
"""
import json
import sys

import zeep
from zeep.plugins import HistoryPlugin

wsdl, version, op, params = sys.argv[1:5]
history = HistoryPlugin()
client = zeep.Client(wsdl, plugins=[history])
port = "WSs2sSoap12" if version == "1.2" else "WSs2sSoap"
service = client.bind("WSs2s", port)
try:
    res = getattr(service, op)(**json.loads(params))
except zeep.exceptions.Fault as f:
    print("Fault:", f.message, file=sys.stderr)
    sys.exit(2)

# The result is mixed content holding any element: zeep unwraps it to the
# GestPayS2S as an lxml element (or an object whose _value_1 holds it).
el = res if hasattr(res, "tag") else res["_value_1"]
if isinstance(el, list):
    el = next(v for v in el if hasattr(v, "tag"))
if el.tag != "GestPayS2S":
    print("not a GestPayS2S:", el.tag, file=sys.stderr)
    sys.exit(3)


def convert(e):
    if len(e) == 0:
        return e.text or ""
    out = {}
    for child in e:
        v = convert(child)
        if child.tag not in out:
            out[child.tag] = v
        elif isinstance(out[child.tag], list):
            out[child.tag].append(v)
        else:
            out[child.tag] = [out[child.tag], v]
    return out


out = convert(el)
sent = history.last_sent["envelope"]
out["_envelope"] = "1.2" if sent.tag.startswith("{http://www.w3.org/2003/05/soap-envelope}") else "1.1"
print(json.dumps(out))
