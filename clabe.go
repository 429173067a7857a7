package pasarela

import "strconv"

// A CLABE (Clave Bancaria Estandarizada) is Mexico's 18-digit account
// number: 3 digits of bank (the Banxico institution code), 3 of branch
// plaza, 11 of account and one check digit. The check digit makes the
// weighted sum (weights 3, 7, 1 repeated; each product taken mod 10) of all
// 18 digits a multiple of 10.
const clabeLen = 18

// Institution is a participant of SPEI in the Banxico catalog.
type Institution struct {
	Code string // 3 digits, the first three of its CLABEs
	Name string
}

// institutions is the Banxico catalog of SPEI participants by the 3-digit
// code that starts their CLABEs.
var institutions = map[string]string{
	"002": "BANAMEX", "006": "BANCOMEXT", "009": "BANOBRAS", "012": "BBVA MEXICO", "014": "SANTANDER",
	"021": "HSBC", "030": "BAJIO", "036": "INBURSA", "042": "MIFEL", "044": "SCOTIABANK", "058": "BANREGIO",
	"059": "INVEX", "060": "BANSI", "062": "AFIRME", "072": "BANORTE", "106": "BANK OF AMERICA", "108": "MUFG",
	"110": "JP MORGAN", "112": "BMONEX", "113": "VE POR MAS", "127": "AZTECA", "128": "AUTOFIN", "129": "BARCLAYS",
	"130": "COMPARTAMOS", "132": "MULTIVA BANCO", "133": "ACTINVER", "135": "NAFIN", "136": "INTERCAM BANCO",
	"137": "BANCOPPEL", "138": "ABC CAPITAL", "140": "CONSUBANCO", "141": "VOLKSWAGEN", "143": "CIBANCO",
	"145": "BBASE", "147": "BANKAOOL", "148": "PAGATODO", "150": "INMOBILIARIO", "151": "DONDE", "152": "BANCREA",
	"154": "BANCO FINTERRA", "155": "ICBC", "156": "SABADELL", "157": "SHINHAN", "158": "MIZUHO BANK",
	"159": "BANK OF CHINA", "160": "BANCO S3", "166": "BANCO DEL BIENESTAR", "168": "HIPOTECARIA FEDERAL",
	"600": "MONEXCB", "601": "GBM", "602": "MASARI", "605": "VALUE", "608": "VECTOR", "616": "FINAMEX",
	"617": "VALMEX", "620": "PROFUTURO", "630": "CB INTERCAM", "631": "CI BOLSA", "634": "FINCOMUN",
	"638": "NU MEXICO", "646": "STP", "652": "CREDICAPITAL", "653": "KUSPIT", "656": "UNAGRA",
	"659": "ASP INTEGRA OPC", "661": "ALTERNATIVOS", "670": "LIBERTAD", "677": "CAJA POP MEXICA",
	"680": "CRISTOBAL COLON", "683": "CAJA TELEFONIST", "684": "TRANSFER", "685": "FONDO (FIRA)", "686": "INVERCAP",
	"689": "FOMPED", "699": "FONDEADORA", "703": "TESORED", "706": "ARCUS", "710": "NVIO", "722": "MERCADO PAGO W",
	"723": "CUENCA", "728": "SPIN BY OXXO", "901": "CLS", "902": "INDEVAL", "903": "CoDi Valida",
}

// LookupInstitution returns the SPEI participant of a bank code. It takes
// the 3-digit code of the CLABE, or the 5-digit participant key SPEI
// messages use (the 3-digit code behind a two-digit prefix: 40002 is
// BANAMEX, 90646 STP).
func LookupInstitution(code string) (Institution, bool) {
	if len(code) == 5 && allDigits(code) {
		switch code[:2] {
		case "37", "40", "90", "91":
			code = code[2:]
		default:
			return Institution{}, false
		}
	}
	name, ok := institutions[code]
	if !ok {
		return Institution{}, false
	}
	return Institution{Code: code, Name: name}, true
}

var clabeWeights = [3]int{3, 7, 1}

// CLABECheckDigit returns the check digit of the first 17 digits of a
// CLABE. first17 must be 17 ASCII digits.
func CLABECheckDigit(first17 string) byte {
	sum := 0
	for i := 0; i < clabeLen-1; i++ {
		sum += int(first17[i]-'0') * clabeWeights[i%3] % 10
	}
	return byte('0' + (10-sum%10)%10)
}

// CheckCLABE validates an account number as a CLABE: 18 digits, a bank
// code in the Banxico catalog, and a correct check digit. The error names
// field and says which rule failed, with codes clabe_format, clabe_bank
// and clabe_check_digit.
func CheckCLABE(field, clabe string) error {
	if len(clabe) != clabeLen || !allDigits(clabe) {
		return Invalid(field, "clabe_format", "must be a CLABE of exactly 18 digits")
	}
	if _, ok := institutions[clabe[:3]]; !ok {
		return Invalid(field, "clabe_bank", "the CLABE's bank code "+clabe[:3]+" is not an institution of the Banxico catalog")
	}
	if want := CLABECheckDigit(clabe[:17]); clabe[17] != want {
		return Invalid(field, "clabe_check_digit", "the CLABE's check digit is wrong (the first 17 digits give "+
			strconv.Itoa(int(want-'0'))+")")
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
