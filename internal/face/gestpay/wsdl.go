package gestpay

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// cryptWSDL is WSCryptDecrypt's description, ours: the union of the
// versions Gestpay published (2013, 2018) and of the elements documented
// since (apikey on both operations, transKey, OrderDetails, transDetails),
// because PHP's SoapClient sends only what the WSDL declares and would
// silently drop an apikey it does not know. Results are .asmx's mixed
// <s:any/>. The scalar elements are strings, as in the originals. Deep
// structures this face does not read yet (OrderDetails, transDetails and
// the fraud-prevention blocks) are declared as open content, so clients
// may send them whole. ADDRESS is replaced by this server's own URL.
const cryptWSDL = `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="https://ecomm.sella.it/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="https://ecomm.sella.it/">
  <wsdl:types>
    <s:schema elementFormDefault="qualified" targetNamespace="https://ecomm.sella.it/">
      <s:element name="Encrypt">
        <s:complexType>
          <s:sequence>
            <s:element minOccurs="1" maxOccurs="1" name="shopLogin" nillable="true" type="s:string"/>
            <s:element minOccurs="1" maxOccurs="1" name="uicCode" nillable="true" type="s:string"/>
            <s:element minOccurs="1" maxOccurs="1" name="amount" nillable="true" type="s:string"/>
            <s:element minOccurs="1" maxOccurs="1" name="shopTransactionId" nillable="true" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="cardNumber" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="expiryMonth" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="expiryYear" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="buyerName" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="buyerEmail" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="languageId" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="cvv" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="customInfo" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="requestToken" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="ppSellerProtection" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="shippingDetails" type="tns:ShippingDetails"/>
            <s:element minOccurs="0" maxOccurs="1" name="paymentTypes" type="tns:PaymentTypes"/>
            <s:element minOccurs="0" maxOccurs="1" name="paymentTypeDetail" type="tns:PaymentTypeDetail"/>
            <s:element minOccurs="0" maxOccurs="1" name="redFraudPrevention" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="Red_CustomerInfo" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="Red_ShippingInfo" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="Red_BillingInfo" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="Red_CustomerData" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="Red_CustomInfo" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="Red_Items" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="Consel_MerchantPro" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="Consel_CustomerInfo" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="payPalBillingAgreementDescription" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="OrderDetails" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="transDetails" type="tns:Open"/>
            <s:element minOccurs="0" maxOccurs="1" name="transKey" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="apikey" type="s:string"/>
          </s:sequence>
        </s:complexType>
      </s:element>
      <s:complexType name="ShippingDetails">
        <s:sequence>
          <s:element minOccurs="0" maxOccurs="1" name="shipToName" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="shipToStreet" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="shipToState" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="shipToCountryCode" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="shipToZip" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="shipToStreet2" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="shipToCity" type="s:string"/>
        </s:sequence>
      </s:complexType>
      <s:complexType name="PaymentTypes">
        <s:sequence>
          <s:element minOccurs="0" maxOccurs="unbounded" name="paymentType" type="s:string"/>
        </s:sequence>
      </s:complexType>
      <s:complexType name="PaymentTypeDetail">
        <s:sequence>
          <s:element minOccurs="0" maxOccurs="1" name="MyBankBankCode" type="s:string"/>
          <s:element minOccurs="0" maxOccurs="1" name="IdealBankCode" type="s:string"/>
        </s:sequence>
      </s:complexType>
      <s:complexType name="Open" mixed="true">
        <s:sequence>
          <s:any minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
        </s:sequence>
      </s:complexType>
      <s:element name="EncryptResponse">
        <s:complexType>
          <s:sequence>
            <s:element minOccurs="0" maxOccurs="1" name="EncryptResult">
              <s:complexType mixed="true">
                <s:sequence>
                  <s:any/>
                </s:sequence>
              </s:complexType>
            </s:element>
          </s:sequence>
        </s:complexType>
      </s:element>
      <s:element name="Decrypt">
        <s:complexType>
          <s:sequence>
            <s:element minOccurs="0" maxOccurs="1" name="shopLogin" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="CryptedString" type="s:string"/>
            <s:element minOccurs="0" maxOccurs="1" name="apikey" type="s:string"/>
          </s:sequence>
        </s:complexType>
      </s:element>
      <s:element name="DecryptResponse">
        <s:complexType>
          <s:sequence>
            <s:element minOccurs="0" maxOccurs="1" name="DecryptResult">
              <s:complexType mixed="true">
                <s:sequence>
                  <s:any/>
                </s:sequence>
              </s:complexType>
            </s:element>
          </s:sequence>
        </s:complexType>
      </s:element>
    </s:schema>
  </wsdl:types>
  <wsdl:message name="EncryptSoapIn">
    <wsdl:part name="parameters" element="tns:Encrypt"/>
  </wsdl:message>
  <wsdl:message name="EncryptSoapOut">
    <wsdl:part name="parameters" element="tns:EncryptResponse"/>
  </wsdl:message>
  <wsdl:message name="DecryptSoapIn">
    <wsdl:part name="parameters" element="tns:Decrypt"/>
  </wsdl:message>
  <wsdl:message name="DecryptSoapOut">
    <wsdl:part name="parameters" element="tns:DecryptResponse"/>
  </wsdl:message>
  <wsdl:portType name="WSCryptDecryptSoap">
    <wsdl:operation name="Encrypt">
      <wsdl:input message="tns:EncryptSoapIn"/>
      <wsdl:output message="tns:EncryptSoapOut"/>
    </wsdl:operation>
    <wsdl:operation name="Decrypt">
      <wsdl:input message="tns:DecryptSoapIn"/>
      <wsdl:output message="tns:DecryptSoapOut"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="WSCryptDecryptSoap" type="tns:WSCryptDecryptSoap">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Encrypt">
      <soap:operation soapAction="https://ecomm.sella.it/Encrypt" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="Decrypt">
      <soap:operation soapAction="https://ecomm.sella.it/Decrypt" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:binding name="WSCryptDecryptSoap12" type="tns:WSCryptDecryptSoap">
    <soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Encrypt">
      <soap12:operation soapAction="https://ecomm.sella.it/Encrypt" style="document"/>
      <wsdl:input><soap12:body use="literal"/></wsdl:input>
      <wsdl:output><soap12:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="Decrypt">
      <soap12:operation soapAction="https://ecomm.sella.it/Decrypt" style="document"/>
      <wsdl:input><soap12:body use="literal"/></wsdl:input>
      <wsdl:output><soap12:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="WSCryptDecrypt">
    <wsdl:port name="WSCryptDecryptSoap" binding="tns:WSCryptDecryptSoap">
      <soap:address location="ADDRESS"/>
    </wsdl:port>
    <wsdl:port name="WSCryptDecryptSoap12" binding="tns:WSCryptDecryptSoap12">
      <soap12:address location="ADDRESS"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`

// serveWSDL answers the WSDL with soap:address set to the URL this request
// reached (scheme from TLS or a trusted proxy, the Host the client used,
// the path it asked for), so that a client that reads the WSDL calls this
// server back, at the path spelling it already uses.
func serveWSDL(w http.ResponseWriter, r *http.Request, doc string) {
	var addr strings.Builder
	_ = xml.EscapeText(&addr, []byte(ownOrigin(r)+r.URL.EscapedPath()))
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(strings.ReplaceAll(doc, `"ADDRESS"`, `"`+addr.String()+`"`)))
}
