package gestpay

import (
	"strconv"

	"github.com/pasarela/pasarela"
)

// uicCurrencies maps Gestpay's UIC currency codes (the Bank of Italy's
// numbering, which Encrypt's uicCode and Decrypt's Currency carry) to ISO
// 4217. Only currencies the core knows are listed: a code Gestpay has but
// the core cannot take is refused as an invalid currency (1111) rather than
// accepted and failed later.
var uicCurrencies = map[string]string{
	"1": "USD", "2": "GBP", "3": "CHF", "7": "DKK", "8": "NOK", "9": "SEK", "12": "CAD", "29": "CLP",
	"31": "INR", "40": "COP", "71": "JPY", "74": "BOB", "101": "PYG", "109": "AUD", "119": "KRW",
	"144": "CNY", "153": "HUF", "201": "PEN", "216": "ARS", "222": "MXN", "223": "CZK", "234": "BRL",
	"237": "PLN", "242": "EUR", "267": "TRY", "270": "RON",
}

// uicCode is the UIC code of an ISO currency ("" when Gestpay has none).
func uicCode(iso string) string {
	for uic, c := range uicCurrencies {
		if c == iso {
			return uic
		}
	}
	return ""
}

// currency is the core's currency of a UIC code.
func currency(uic string) (pasarela.Currency, bool) {
	iso, ok := uicCurrencies[uic]
	if !ok {
		return pasarela.Currency{}, false
	}
	return pasarela.LookupCurrency(iso)
}

// languages maps Gestpay's languageId to the core's language.
var languages = map[string]string{"1": "it", "2": "en", "3": "es", "4": "fr", "5": "de"}

// Gestpay's error codes this face answers with.
const (
	codeOK               = 0
	codePageLoaded       = 10 // js_GestPay.js: the hidden payment page is ready
	codeDenied           = 74
	codeInsufficient     = 251
	codeCardExpired      = 433
	codeParamFormat      = 1101 // customInfo: a parameter without "="
	codeParamNoName      = 1102
	codeParamTrailingSep = 1103
	codeParamValue       = 1105 // customInfo: a forbidden character
	codeParamRepeated    = 1106
	codeMissingUIC       = 1110
	codeInvalidCurrency  = 1111
	codeMissingAmount    = 1112
	codeAmountNotNumeric = 1113
	codeAmountDecimals   = 1114
	codeMissingShopTxID  = 1115
	codeShopTxIDTooLong  = 1116
	codeInvalidLanguage  = 1117
	codeCardLength       = 1119
	codeCardCheckDigit   = 1120
	codeExpMonth         = 1124
	codeExpYear          = 1125
	codeExpired          = 1126
	codeInvalidEmail     = 1127
	codeParamsTooLong    = 1128
	codeParamTooLong     = 1129
	codeUnknownShop      = 1131
	codeNotFromEncrypt   = 1136
	codeIPNotAllowed     = 1142
	codeAlreadyProcessed = 1137
	codeCardMissing      = 1138
	codeBadInput         = 1141
	codeCancelled        = 1140
	codeAbandoned        = 1143
	codeInvalidName      = 1148
	codeCVV              = 1149
	codeTooBigAmount     = 1147
	codeInvalidAPIKey    = 1169
	codeVerifyByVisa     = 8006 // 3-D Secure: the buyer goes to pagam3d.aspx
	codeBrowser          = 9991
	codeIFrame           = 9992
	codeTechnical        = 9999
)

// descriptions are the texts of the codes, in Italian (Gestpay's default,
// which merchant code string-matches: "Transazione abbandonata dal
// compratore") and English. The English wording is Gestpay's published one;
// the Italian ones recorded from the real service are kept verbatim.
var descriptions = map[int][2]string{
	codeSettleExceeds: {"Importo confermato superiore all'importo autorizzato", "Confirmed amount exceeds authorized amount"},
	codeTxNotFound:    {"Transazione non trovata", "Transaction not found"},
	codeRefundExceeds: {"Importo del rimborso superiore al saldo della transazione",
		"You requested a refund operation with an amount exceeding transaction balance"},
	// 2016 and 2017 in Italian as the real service answered them.
	codeTxIDsEmpty:       {"Campi BANKTRANSACTIONID e SHOPTRANSACTIONID non valorizzati", "Fields BANKTRANSACTIONID and SHOPTRANSACTIONID are empty"},
	codeNotDeletable:     {"Transazione non cancellabile", "Transaction can not be deleted"},
	codeNotRefundable:    {"Transazione non rimborsabile", "Transaction can not be refunded"},
	codeNotSettleable:    {"Transazione non movimentabile", "Transaction can not be settled"},
	codeMissingTransKey:  {"Chiamata non accettata: parametro TransKey mancante", "Not accepterd call: missing parameter TransKey"},
	codeNotAllowed:       {"Operazione non consentita", "Operation not allowed"},
	codeOK:               {"Transazione correttamente effettuata", "Transaction correctly processed"},
	codeDenied:           {"Autorizzazione negata", "Authorization denied"},
	codeInsufficient:     {"Disponibilità insufficiente", "Insufficient credit"},
	codeCardExpired:      {"Carta scaduta", "Card expired"},
	codeParamFormat:      {"Formato della stringa dei parametri non valido", "Invalid format of parameter string"},
	codeParamNoName:      {"Nessun nome di parametro precede il simbolo =", "No parameter name precedes = symbol"},
	codeParamTrailingSep: {"Stringa dei parametri terminata da un separatore", "Parameter string ending with a separator"},
	codeParamValue:       {"Valore del parametro non valido", "Invalid parameter value"},
	codeParamRepeated:    {"Nome del parametro ripetuto", "Repeated parameter name"},
	codeMissingUIC:       {"Parametro PAY1_UICCODE mancante", "Missing PAY1_UICCODE parameter"},
	codeInvalidCurrency:  {"Codice divisa non valido", "Invalid currency code"},
	codeMissingAmount:    {"Parametro PAY1_AMOUNT mancante", "Missing PAY1_AMOUNT parameter"},
	codeAmountNotNumeric: {"Importo non numerico", "Not numeric amount"},
	codeAmountDecimals:   {"Importo con numero di decimali errato", "Amount with a wrong number of decimal digits"},
	codeMissingShopTxID:  {"Parametro PAY1_SHOPTRANSACTIONID mancante", "Missing PAY1_SHOPTRANSACTIONID parameter"},
	codeShopTxIDTooLong:  {"Parametro PAY1_SHOPTRANSACTIONID troppo lungo", "Too long PAY1_SHOPTRANSACTIONID parameter"},
	codeInvalidLanguage:  {"Identificativo della lingua non valido", "Invalid language identifier"},
	codeInvalidEmail:     {"Indirizzo email del compratore non valido", "Invalid cardholder email address"},
	codeParamsTooLong:    {"Stringa dei parametri troppo lunga", "Too long parameter string"},
	codeParamTooLong:     {"Valore del parametro troppo lungo", "Too long parameter value"},
	codeUnknownShop:      {"Chiamata non accettata: esercente non riconosciuto", "Not accepted call: Shop not recognized"},
	codeNotFromEncrypt: {"Chiamata non accettata: la transazione non è iniziata con una chiamata al sistema di crittografia server-server",
		"Not accepted call: transaction did not begin with a call to server-server cryptography system"},
	codeAlreadyProcessed: {"Chiamata non accettata: transazione già elaborata in precedenza",
		"Not accepted call: transaction already processed before"},
	codeIPNotAllowed:  {"Chiamata non accettata: indirizzo IP non valido", "Not accepted call: invalid IP Address"},
	codeCancelled:     {"Transazione annullata dal compratore", "Transaction cancelled by buyer"},
	codeAbandoned:     {"Transazione abbandonata dal compratore", "Transaction abandoned by buyer"},
	codeInvalidName:   {"Nome del titolare non valido", "Invalid cardholder name"},
	codeTooBigAmount:  {"Importo troppo elevato", "Too big amount"},
	codeInvalidAPIKey: {"Chiamata non accettata: APIKEY dell'esercente non valida", "Not accepted call: invalid Merchant APIKEY"},
	codeTechnical:     {"Errore Tecnico", "System Error"},

	// The codes of js_GestPay.js and 3-D Secure. Gestpay published their
	// English texts; no Italian text of them was recorded, so the Italian
	// ones are translations of the English.
	codePageLoaded:     {"Pagina di pagamento caricata correttamente", "Payment page correctly loaded"},
	codeCardLength:     {"Numero della carta di credito con lunghezza errata", "Credit card number with wrong length"},
	codeCardCheckDigit: {"Carta di credito con check-digit errato", "Credit card with wrong check-digit"},
	codeExpMonth:       {"Mese di scadenza non valido", "Invalid expiry month"},
	codeExpYear:        {"Anno di scadenza non valido", "Invalid expiry year"},
	codeExpired:        {"Data di scadenza superata", "Expired expiry date"},
	codeCardMissing: {"Chiamata non accettata: numero della carta o data di scadenza mancanti",
		"Not accepted call: card number or expiry date are missing"},
	codeBadInput: {"Chiamata non accettata: stringa dei parametri in ingresso non accettabile",
		"Not accepted call: input parameter string not acceptable"},
	codeCVV:          {"CVV2 mancante o errato", "Missing or wrong CVV2"},
	codeVerifyByVisa: {"Verify By Visa", "Verify By Visa"},
	codeBrowser:      {"Browser non supportato", "Browser not supported"},
	codeIFrame:       {"Errore nella creazione dell'iFrame", "Error creating iFrame"},
}

// describe is a code's description in lang ("it" unless "en"). SOAP
// answers use the shop's language (descriptionLang), pages the payment's.
func describe(code int, lang string) string {
	d, ok := descriptions[code]
	if !ok {
		d = descriptions[codeTechnical]
	}
	if lang == "en" {
		return d[1]
	}
	return d[0]
}

// gpError is a business error of the face: answered as a KO result with
// its code, never as a SOAP fault.
type gpError struct{ code int }

func (e *gpError) Error() string { return "gestpay error " + strconv.Itoa(e.code) }

func fail(code int) error { return &gpError{code: code} }

// codeOf is the Gestpay code of an error from the face or the core. What
// the core refuses is mapped by its code and field; anything else is
// Gestpay's generic technical error.
func codeOf(err error) int {
	if g, ok := err.(*gpError); ok {
		return g.code
	}
	e := pasarela.AsError(err)
	switch e.Code {
	case "unknown_shop_login":
		return codeUnknownShop
	case "invalid_api_key":
		return codeInvalidAPIKey
	case "ip_not_allowed":
		return codeIPNotAllowed
	}
	if e.Kind == pasarela.KindInvalid {
		for _, f := range e.Fields {
			switch f.Field {
			case "customer_email":
				return codeInvalidEmail
			case "amount":
				if f.Code == "amount" {
					return codeTooBigAmount
				}
				return codeAmountNotNumeric
			case "merchant_ref":
				return codeShopTxIDTooLong
			}
		}
	}
	return codeTechnical
}

// declineCode is the Gestpay code of a failed payment's decline.
func declineCode(failure string) int {
	switch failure {
	case "insufficient_funds":
		return codeInsufficient
	case "expired_card":
		return codeCardExpired
	case "buyer_canceled":
		return codeAbandoned // the buyer left the page (its cancel link)
	}
	return codeDenied
}
