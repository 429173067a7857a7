// A merchant's Java back office against WSs2s, as in Gestpay's Java sample:
// the client wsimport generates from the WSDL (package it.sella.ecomms2s),
// which reads the WSDL again when it starts and calls the address the WSDL
// names; nothing here sets an endpoint.
//
// java Client WSDL_URL SHOP_LOGIN APIKEY SHOP_TRANSACTION_ID OTHER_APIKEY
// pays 12.00 EUR by card, reads the transaction back, then pays with
// another shop's API key; it prints each GestPayS2S as key=value lines,
// keys prefixed by the call (pagam., read., otherkey.), nested elements as
// Parent.Child, and the address called as address=.

import it.sella.ecomms2s.CallPagamS2SResponse;
import it.sella.ecomms2s.CallReadTrxS2SResponse;
import it.sella.ecomms2s.WSs2S;
import it.sella.ecomms2s.WSs2SSoap;
import java.net.URL;
import java.util.List;
import javax.xml.ws.BindingProvider;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

public class Client {
    public static void main(String[] args) throws Exception {
        String wsdl = args[0], shop = args[1], apikey = args[2], shopTransactionId = args[3], otherKey = args[4];
        WSs2SSoap port = new WSs2S(new URL(wsdl)).getWSs2SSoap();
        System.out.println("address=" + ((BindingProvider) port).getRequestContext().get(BindingProvider.ENDPOINT_ADDRESS_PROPERTY));

        Element pagam = gestPayS2S(pay(port, shop, apikey, shopTransactionId).getContent());
        print("pagam", pagam);
        String bank = text(pagam, "BankTransactionID");
        CallReadTrxS2SResponse.CallReadTrxS2SResult read = port.callReadTrxS2S(shop, null, bank, null, apikey);
        print("read", gestPayS2S(read.getContent()));
        print("otherkey", gestPayS2S(pay(port, shop, otherKey, shopTransactionId + "-K").getContent()));
    }

    // pay is callPagamS2S with a card: the generated method takes every
    // element of the operation, in the WSDL's order; those not sent are null.
    static CallPagamS2SResponse.CallPagamS2SResult pay(WSs2SSoap port, String shop, String apikey, String shopTransactionId) {
        return port.callPagamS2S(shop, "242", "12.00", shopTransactionId, "4775718800002026", "05", "35",
                "Mario Rossi", null, null, "999", null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, apikey);
    }

    // gestPayS2S finds the GestPayS2S element in a result's mixed content,
    // where JAX-WS leaves it as a DOM element among text nodes.
    static Element gestPayS2S(List<Object> content) {
        for (Object o : content) {
            if (o instanceof Element && "GestPayS2S".equals(localName((Element) o))) {
                return (Element) o;
            }
        }
        throw new IllegalStateException("no GestPayS2S element in the result: " + content);
    }

    static String localName(Node n) {
        return n.getLocalName() != null ? n.getLocalName() : n.getNodeName();
    }

    static String text(Element parent, String name) {
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element && name.equals(localName(c))) {
                return c.getTextContent();
            }
        }
        throw new IllegalStateException("no " + name + " in GestPayS2S");
    }

    // print writes an element's leaves as prefix.Path=text, one a line.
    static void print(String prefix, Element e) {
        boolean leaf = true;
        for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element) {
                leaf = false;
                print(prefix + "." + localName(c), (Element) c);
            }
        }
        if (leaf) {
            System.out.println(prefix + "=" + e.getTextContent().replace("\\", "\\\\").replace("\n", "\\n"));
        }
    }
}
