package gestpay

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Namespaces of the two SOAP versions, of XML Schema instances, and of
// Gestpay's two services, WSCryptDecrypt and WSs2s.
const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	nsCrypt  = "https://ecomm.sella.it/"
	nsS2S    = "https://ecomms2s.sella.it/"
)

// soapVersion is 11 or 12: the form of the answer, and of a fault.
type soapVersion int

const (
	soap11 soapVersion = 11
	soap12 soapVersion = 12
)

// call is an operation read from a SOAP request.
type call struct {
	version   soapVersion
	operation string            // the body's element: "Encrypt", "Decrypt", …
	fields    map[string]string // scalar children, by their exact name
	lists     map[string][]string
}

// errEnvelope is a request that is not a SOAP envelope this service reads:
// the only kind of request answered with a SOAP fault.
type errEnvelope struct {
	version soapVersion
	msg     string
}

func (e *errEnvelope) Error() string { return e.msg }

// listFields are the children of the operation whose own children are read
// as a list of strings: paymentTypes holds repeated paymentType elements.
var listFields = map[string]bool{"paymentTypes": true}

// readCall reads a SOAP 1.1 or 1.2 request as clients send it: any
// namespace prefix; children of the operation in any order; an element
// with xsi:nil="true" is absent; the text of scalar children is kept by
// their exact (case-sensitive) name, so a miscased or unknown element is
// simply never looked at. Structured children other than listFields
// (shippingDetails, OrderDetails, transDetails …) are read past.
// action is the SOAP action the transport named ("" if none): when given
// it must name the body's operation. ns is the service's namespace, which
// the operation must be in.
func readCall(body []byte, action, ns string) (*call, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	env, err := nextStart(d)
	if err != nil {
		return nil, &errEnvelope{soap11, "the request is not XML: " + err.Error()}
	}
	c := &call{fields: map[string]string{}, lists: map[string][]string{}}
	switch {
	case env.Name.Local == "Envelope" && env.Name.Space == nsSOAP11:
		c.version = soap11
	case env.Name.Local == "Envelope" && env.Name.Space == nsSOAP12:
		c.version = soap12
	default:
		return nil, &errEnvelope{soap11, "the root element must be a SOAP 1.1 or 1.2 Envelope"}
	}
	bad := func(msg string) error { return &errEnvelope{c.version, msg} }
	// Envelope children: an optional Header, then Body.
	for {
		el, err := nextStart(d)
		if err != nil {
			return nil, bad("the Envelope has no Body")
		}
		if el.Name.Space == env.Name.Space && el.Name.Local == "Body" {
			break
		}
		if err := d.Skip(); err != nil {
			return nil, bad("the Envelope is not well-formed XML")
		}
	}
	op, err := nextStart(d)
	if err != nil {
		return nil, bad("the Body holds no operation")
	}
	c.operation = op.Name.Local
	if op.Name.Space != ns {
		return nil, bad("the operation must be in the namespace " + ns)
	}
	if action != "" && action != ns+c.operation {
		return nil, bad("the SOAP action " + action + " does not name the operation in the Body")
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, bad("the operation element is not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.EndElement:
			// The operation is complete; what follows it is not read
			// further, but it must still be well-formed.
			for {
				if _, err := d.Token(); err == io.EOF {
					return c, nil
				} else if err != nil {
					return nil, bad("the envelope is not well-formed XML")
				}
			}
		case xml.StartElement:
			if isNil(t) {
				if err := d.Skip(); err != nil {
					return nil, bad("the envelope is not well-formed XML")
				}
				continue
			}
			name := t.Name.Local
			if listFields[name] {
				items, err := readList(d)
				if err != nil {
					return nil, bad("the envelope is not well-formed XML")
				}
				c.lists[name] = append(c.lists[name], items...)
				continue
			}
			text, err := readText(d)
			if err != nil {
				return nil, bad("the envelope is not well-formed XML")
			}
			if _, dup := c.fields[name]; !dup {
				c.fields[name] = text
			}
		}
	}
}

// nextStart returns the next start element, skipping text, comments and
// processing instructions.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errors.New("unexpected end of " + t.Name.Local)
		}
	}
}

// isNil reports an xsi:nil="true" (or "1") attribute.
func isNil(el xml.StartElement) bool {
	for _, a := range el.Attr {
		if a.Name.Space == nsXSI && a.Name.Local == "nil" {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// readText returns the text of the element just opened, up to its end;
// the text of nested elements is not part of it.
func readText(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// readList returns the texts of the children of the element just opened.
func readList(d *xml.Decoder) ([]string, error) {
	var out []string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if isNil(t) {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			s, err := readText(d)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case xml.EndElement:
			return out, nil
		}
	}
}

// soapAction is the action a request names: SOAP 1.1's SOAPAction header
// (quoted or not), or the action parameter of SOAP 1.2's Content-Type.
func soapAction(r *http.Request) string {
	if a := strings.Trim(strings.TrimSpace(r.Header.Get("SOAPAction")), `"`); a != "" {
		return a
	}
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
		return strings.Trim(params["action"], `"`)
	}
	return ""
}

// node is an element of an answer: text, or children (Buyer).
type node struct {
	name     string
	text     string
	children []node
}

func leaf(name, text string) node { return node{name: name, text: text} }

// writeResult writes the answer of op of the service in namespace ns as
// the real service does: <opResponse xmlns="https://ecomm.sella.it/">
// <opResult><GestPayCryptDecrypt xmlns="">… (GestPayS2S for WSs2s); PHP
// reads opResult's XML as a string, node-soap and zeep as parsed elements,
// JAX-WS as a DOM element, and all of them expect exactly this shape.
func writeResult(w http.ResponseWriter, v soapVersion, ns, op, result string, fields []node) {
	var b bytes.Buffer
	b.WriteString(`<` + op + `Response xmlns="` + ns + `"><` + op + `Result><` + result + ` xmlns="">`)
	for _, n := range fields {
		writeNode(&b, n)
	}
	b.WriteString(`</` + result + `></` + op + `Result></` + op + `Response>`)
	writeEnvelope(w, v, http.StatusOK, b.Bytes())
}

func writeNode(b *bytes.Buffer, n node) {
	b.WriteString("<" + n.name + ">")
	if n.children != nil {
		for _, c := range n.children {
			writeNode(b, c)
		}
	} else {
		_ = xml.EscapeText(b, []byte(n.text))
	}
	b.WriteString("</" + n.name + ">")
}

// writeFault answers a request that could not be read as a SOAP fault of
// the request's version: the client's fault, with the reason in English
// (SOAP faults are for the developer, not the buyer).
func writeFault(w http.ResponseWriter, v soapVersion, reason string) {
	// ASP.NET answered faults of both versions with 500, and clients treat
	// a 500 with a Fault as the fault.
	writeEnvelope(w, v, http.StatusInternalServerError, faultBody(v, reason))
}

// faultBody is a SOAP fault of version v, the client's, for reason.
func faultBody(v soapVersion, reason string) []byte {
	var b bytes.Buffer
	if v == soap12 {
		b.WriteString(`<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">`)
		_ = xml.EscapeText(&b, []byte(reason))
		b.WriteString(`</soap:Text></soap:Reason></soap:Fault>`)
	} else {
		b.WriteString(`<soap:Fault><faultcode>soap:Client</faultcode><faultstring>`)
		_ = xml.EscapeText(&b, []byte(reason))
		b.WriteString(`</faultstring></soap:Fault>`)
	}
	return b.Bytes()
}

func writeEnvelope(w http.ResponseWriter, v soapVersion, status int, body []byte) {
	ns, ctype := nsSOAP11, "text/xml; charset=utf-8"
	if v == soap12 {
		ns, ctype = nsSOAP12, "application/soap+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="`+ns+
		`" xmlns:xsi="`+nsXSI+`" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`)
	_, _ = w.Write(body)
	_, _ = io.WriteString(w, `</soap:Body></soap:Envelope>`)
}
