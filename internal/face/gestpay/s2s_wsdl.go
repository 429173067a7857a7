package gestpay

import (
	"strings"
)

// s2sOp is an operation of WSs2s as its WSDL declares it: its exact name,
// its scalar elements (strings, as in the originals) and its structured
// ones (open content: clients may send them whole; the face reads what it
// needs of them, or nothing). apikey ends every operation.
type s2sOp struct {
	name   string
	fields []string
	open   []string
}

// s2sOperations are the 17 operations of the newest WSs2s, each with the
// union of the elements its versions and documentation name. All must be
// there: a JAX-WS client generated from Gestpay's WSDL refuses to start
// when one is missing, and PHP's SoapClient drops elements it does not
// know.
var s2sOperations = []s2sOp{
	{name: "callPagamS2S", fields: []string{"shopLogin", "uicCode", "amount", "shopTransactionId", "cardNumber",
		"expiryMonth", "expiryYear", "buyerName", "buyerEmail", "languageId", "cvv", "min", "transKey", "PARes",
		"customInfo", "IDEA", "requestToken", "tokenValue", "clientIP", "itemType", "recurrent", "executionDate",
		"subMerchantId"},
		open: []string{"shippingDetails", "OrderDetails", "transDetails", "paymentTypes", "redFraudPrevention",
			"Red_CustomerInfo", "Red_ShippingInfo", "Red_BillingInfo", "Red_CustomerData", "Red_CustomInfo", "Red_Items",
			"applePay", "cardReaderPayments", "paymentDeviceDetails"}},
	{name: "callSettleS2S", fields: []string{"shopLogin", "uicCode", "amount", "shopTransID", "bankTransID", "settlementID"},
		open: []string{"FullFillment", "paymentDeviceDetails"}},
	{name: "callDeleteS2S", fields: []string{"shopLogin", "shopTransactionId", "bankTransactionId", "CancelReason"},
		open: []string{"paymentDeviceDetails"}},
	{name: "callRefundS2S", fields: []string{"shopLogin", "uicCode", "amount", "shopTransactionId", "bankTransactionId",
		"settlementID", "RefundReason", "chargeBackFraud"}, open: []string{"OrderDetail", "paymentDeviceDetails"}},
	{name: "callReadTrxS2S", fields: []string{"shopLogin", "shopTransactionId", "bankTransactionId"},
		open: []string{"paymentDeviceDetails"}},
	{name: "callVerifycardS2S", fields: []string{"shopLogin", "shopTransactionId", "cardNumber", "expMonth", "expYear", "CVV2"}},
	{name: "callCheckCartaS2S", fields: []string{"shopLogin", "shopTransactionId", "cardNumber", "expMonth", "expYear", "CVV2",
		"withAuth", "tokenValue"}},
	{name: "callRenounce"},
	{name: "CallRequestTokenS2S", fields: []string{"shopLogin", "requestToken", "cardNumber", "expiryMonth", "expiryYear",
		"cvv", "withAuth", "originalId", "description"}},
	{name: "callDeleteTokenS2S", fields: []string{"tokenValue", "shopLogin"}},
	{name: "CallUpdateTokenS2S", fields: []string{"shopLogin", "token", "expiryMonth", "expiryYear", "withAut"}},
	{name: "CallIdealListS2S", fields: []string{"shopLogin"}},
	{name: "CallMyBankListS2S", fields: []string{"shopLogin", "languageId"}},
	{name: "CallUpdateCustomParamS2S", fields: []string{"shopLogin", "shopTransactionId", "bankTransactionId", "paramName",
		"paramValue"}},
	{name: "CallUpdateOrderS2S", fields: []string{"shopLogin", "shopTransactionId", "bankTransactionId"},
		open: []string{"OrderDetails"}},
	{name: "callExchangeRateS2S", fields: []string{"shopLogin", "uicCode", "isoCode", "numericIsoCode"}},
	{name: "callDeviceActivation", fields: []string{"terminalId"}},
}

// s2sWSDL is WSs2s's description, .asmx style like the originals (results
// are mixed <s:any/>, SOAP 1.1 and 1.2 bindings); ADDRESS is replaced by
// this server's own URL when served.
var s2sWSDL = buildS2SWSDL()

func buildS2SWSDL() string {
	var b strings.Builder
	w := func(s ...string) {
		for _, x := range s {
			b.WriteString(x)
		}
	}
	w(`<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="`, nsS2S, `" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="`, nsS2S, `">
  <wsdl:types>
    <s:schema elementFormDefault="qualified" targetNamespace="`, nsS2S, `">
      <s:complexType name="Open" mixed="true">
        <s:sequence>
          <s:any minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
        </s:sequence>
      </s:complexType>
`)
	for _, op := range s2sOperations {
		w(`      <s:element name="`, op.name, `">
        <s:complexType>
          <s:sequence>
`)
		for _, f := range op.fields {
			w(`            <s:element minOccurs="0" maxOccurs="1" name="`, f, `" type="s:string"/>
`)
		}
		for _, f := range op.open {
			w(`            <s:element minOccurs="0" maxOccurs="1" name="`, f, `" type="tns:Open"/>
`)
		}
		w(`            <s:element minOccurs="0" maxOccurs="1" name="apikey" type="s:string"/>
          </s:sequence>
        </s:complexType>
      </s:element>
      <s:element name="`, op.name, `Response">
        <s:complexType>
          <s:sequence>
            <s:element minOccurs="0" maxOccurs="1" name="`, op.name, `Result">
              <s:complexType mixed="true">
                <s:sequence>
                  <s:any/>
                </s:sequence>
              </s:complexType>
            </s:element>
          </s:sequence>
        </s:complexType>
      </s:element>
`)
	}
	w(`    </s:schema>
  </wsdl:types>
`)
	for _, op := range s2sOperations {
		w(`  <wsdl:message name="`, op.name, `SoapIn">
    <wsdl:part name="parameters" element="tns:`, op.name, `"/>
  </wsdl:message>
  <wsdl:message name="`, op.name, `SoapOut">
    <wsdl:part name="parameters" element="tns:`, op.name, `Response"/>
  </wsdl:message>
`)
	}
	w(`  <wsdl:portType name="WSs2sSoap">
`)
	for _, op := range s2sOperations {
		w(`    <wsdl:operation name="`, op.name, `">
      <wsdl:input message="tns:`, op.name, `SoapIn"/>
      <wsdl:output message="tns:`, op.name, `SoapOut"/>
    </wsdl:operation>
`)
	}
	w(`  </wsdl:portType>
`)
	for _, bind := range []struct{ name, prefix string }{{"WSs2sSoap", "soap"}, {"WSs2sSoap12", "soap12"}} {
		w(`  <wsdl:binding name="`, bind.name, `" type="tns:WSs2sSoap">
    <`, bind.prefix, `:binding transport="http://schemas.xmlsoap.org/soap/http"/>
`)
		for _, op := range s2sOperations {
			w(`    <wsdl:operation name="`, op.name, `">
      <`, bind.prefix, `:operation soapAction="`, nsS2S, op.name, `" style="document"/>
      <wsdl:input><`, bind.prefix, `:body use="literal"/></wsdl:input>
      <wsdl:output><`, bind.prefix, `:body use="literal"/></wsdl:output>
    </wsdl:operation>
`)
		}
		w(`  </wsdl:binding>
`)
	}
	w(`  <wsdl:service name="WSs2s">
    <wsdl:port name="WSs2sSoap" binding="tns:WSs2sSoap">
      <soap:address location="ADDRESS"/>
    </wsdl:port>
    <wsdl:port name="WSs2sSoap12" binding="tns:WSs2sSoap12">
      <soap12:address location="ADDRESS"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`)
	return b.String()
}
