package kashpay

import (
	"net/http"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// errorBody is the envelope's error. name, message and code are Kashpay's;
// field, detail and errors are this gateway's additions, so a developer
// learns which field broke which rule without guessing.
type errorBody struct {
	Name    string       `json:"name"`
	Message string       `json:"message"`
	Code    int          `json:"code"`
	Field   string       `json:"field,omitempty"`
	Detail  string       `json:"detail,omitempty"`
	Errors  []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// wireError is how one core error code is shown.
type wireError struct {
	code    int
	name    string
	status  int
	message string
}

// Exception names, in Kashpay's style.
const (
	nameAuth       = "AuthenticationException"
	nameForbidden  = "ForbiddenException"
	nameRequest    = "RequestException"
	nameValidation = "ValidationException"
	nameEntity     = "EntityException"
	nameInternal   = "InternalException"
)

// ErrFunds is the one error code Kashpay documents: an order that cannot be
// paid (the entity's balance does not cover it).
const ErrFunds = 1022

// errorTable is the face's one table from the core's error codes to
// Kashpay's numbered errors. Kashpay publishes no catalog beyond 1022, so
// the other numbers are this gateway's, stable and documented in the
// README: 10xx authentication and requests, 103x–105x validation of an
// order, 106x paging, 1022–1025 the entity's ability to pay.
var errorTable = map[string]wireError{
	"invalid_grant":     {1001, nameAuth, http.StatusUnauthorized, "Usuario, contraseña o entidad incorrectos"},
	"too_many_attempts": {1002, nameAuth, http.StatusTooManyRequests, "Demasiados intentos fallidos; intente más tarde"},
	"invalid_token":     {1003, nameAuth, http.StatusUnauthorized, "El token no es válido o ha expirado; autentíquese de nuevo"},
	"unauthenticated":   {1004, nameAuth, http.StatusUnauthorized, "Se requiere el encabezado Authorization: Bearer <token>"},
	"entity_mismatch":   {1005, nameAuth, http.StatusForbidden, "El encabezado Entity-i no corresponde a la entidad del token"},
	"role_required":     {1006, nameForbidden, http.StatusForbidden, "El usuario no tiene permiso para esta operación"},
	"user_required":     {1006, nameForbidden, http.StatusForbidden, "El usuario no tiene permiso para esta operación"},
	"client_not_active": {1007, nameForbidden, http.StatusForbidden, "La entidad no está activa"},
	"second_factor_required": {1008, nameAuth, http.StatusUnauthorized,
		"El usuario tiene un segundo factor y esta autenticación no admite códigos: use un código de un solo uso en el panel o una clave de aplicación"},
	"malformed_json":     {1010, nameRequest, http.StatusBadRequest, "El cuerpo de la petición no es un objeto JSON válido"},
	"content_type":       {1011, nameRequest, http.StatusUnsupportedMediaType, "El Content-Type debe ser application/json"},
	"too_large":          {1012, nameRequest, http.StatusRequestEntityTooLarge, "El cuerpo de la petición es demasiado grande"},
	"method_not_allowed": {1013, nameRequest, http.StatusMethodNotAllowed, "Método no permitido"},
	"type":               {1014, nameRequest, http.StatusBadRequest, "El campo tiene un tipo no válido"},
	"duplicate_field":    {1015, nameRequest, http.StatusBadRequest, "El campo aparece más de una vez"},
	"path":               {1017, nameRequest, http.StatusBadRequest, "La ruta no es válida"},
	"header_too_large":   {1018, nameRequest, http.StatusRequestHeaderFieldsTooLarge, "La URL o los encabezados son demasiado grandes"},
	"unknown_field":      {1016, nameRequest, http.StatusBadRequest, "El campo no existe; los nombres distinguen mayúsculas y minúsculas"},

	"required":               {1030, nameValidation, http.StatusBadRequest, "El campo es obligatorio"},
	"clabe_format":           {1031, nameValidation, http.StatusBadRequest, "La cuenta debe ser una CLABE de 18 dígitos"},
	"clabe_bank":             {1032, nameValidation, http.StatusBadRequest, "El banco de la CLABE no está en el catálogo de Banxico"},
	"clabe_check_digit":      {1033, nameValidation, http.StatusBadRequest, "El dígito verificador de la CLABE no es válido"},
	"bank_code":              {1034, nameValidation, http.StatusBadRequest, "La institución no está en el catálogo de Banxico"},
	"bank_mismatch":          {1035, nameValidation, http.StatusBadRequest, "La institución no corresponde al banco de la CLABE"},
	"amount":                 {1036, nameValidation, http.StatusBadRequest, "El monto debe ser un número mayor que cero"},
	"scale":                  {1037, nameValidation, http.StatusBadRequest, "El monto admite como máximo 2 decimales"},
	"unsupported_currency":   {1038, nameValidation, http.StatusBadRequest, "Solo se admite la moneda 484 (MXN)"},
	"transaction_type":       {1039, nameValidation, http.StatusBadRequest, "Solo se admite el tipo 1 (Transferencia Interbancaria SPEI)"},
	"account_type":           {1040, nameValidation, http.StatusBadRequest, "Solo se admite el tipo de cuenta 40 (CLABE)"},
	"too_long":               {1041, nameValidation, http.StatusBadRequest, "El campo excede la longitud máxima"},
	"format":                 {1042, nameValidation, http.StatusBadRequest, "El campo contiene caracteres no permitidos"},
	"encoding":               {1042, nameValidation, http.StatusBadRequest, "El campo contiene caracteres no permitidos"},
	"numeric_reference":      {1043, nameValidation, http.StatusBadRequest, "La referencia numérica debe tener hasta 10 dígitos"},
	"alphanumeric_reference": {1044, nameValidation, http.StatusBadRequest, "La referencia alfanumérica debe tener hasta 30 letras y dígitos"},
	"email":                  {1045, nameValidation, http.StatusBadRequest, "El correo electrónico no es válido"},
	"rfc":                    {1046, nameValidation, http.StatusBadRequest, "El RFC no es válido"},
	"postal_code":            {1047, nameValidation, http.StatusBadRequest, "El código postal debe tener 5 dígitos"},
	"date_transaction":       {1048, nameValidation, http.StatusBadRequest, "La fecha debe tener el formato DDMMYY"},
	"account_mismatch":       {1049, nameValidation, http.StatusBadRequest, "beneficiaryAcount y beneficiaryAcountSPEI no coinciden"},

	"header": {1060, nameRequest, http.StatusBadRequest, "Encabezado de paginación no válido"},

	"insufficient_funds":     {ErrFunds, nameEntity, http.StatusUnprocessableEntity, "No se pudo procesar el pago"},
	"payouts_unavailable":    {1023, nameEntity, http.StatusServiceUnavailable, "No se pudo procesar el pago: los envíos no están disponibles"},
	"idempotency_key_reused": {1024, nameRequest, http.StatusConflict, "La Idempotency-Key ya se usó con otra petición"},
	"idempotency_key":        {1025, nameRequest, http.StatusBadRequest, "La Idempotency-Key no es válida"},
}

// byKind answers codes the table does not name.
var byKind = map[pasarela.Kind]wireError{
	pasarela.KindInvalid:          {1019, nameValidation, http.StatusBadRequest, "La petición no es válida"},
	pasarela.KindNotFound:         {1015, nameRequest, http.StatusNotFound, "No encontrado"},
	pasarela.KindConflict:         {1016, nameEntity, http.StatusConflict, "La operación entra en conflicto con otra; reintente"},
	pasarela.KindUnauthorized:     {1003, nameAuth, http.StatusUnauthorized, "No autenticado"},
	pasarela.KindForbidden:        {1006, nameForbidden, http.StatusForbidden, "El usuario no tiene permiso para esta operación"},
	pasarela.KindUnavailable:      {1098, nameInternal, http.StatusServiceUnavailable, "Servicio no disponible; reintente"},
	pasarela.KindTooLarge:         {1012, nameRequest, http.StatusRequestEntityTooLarge, "El cuerpo de la petición es demasiado grande"},
	pasarela.KindUnsupportedMedia: {1011, nameRequest, http.StatusUnsupportedMediaType, "El Content-Type debe ser application/json"},
	pasarela.KindRateLimited:      {1002, nameAuth, http.StatusTooManyRequests, "Demasiadas peticiones; intente más tarde"},
	pasarela.KindCanceled:         {1097, nameRequest, transport.StatusClientClosed, "La petición fue cancelada"},
	pasarela.KindInternal:         {1099, nameInternal, http.StatusInternalServerError, "Error interno"},
}

func lookup(e *pasarela.Error) wireError {
	if w, ok := errorTable[e.Code]; ok && e.Kind != pasarela.KindInternal {
		return w
	}
	if w, ok := byKind[e.Kind]; ok {
		return w
	}
	return byKind[pasarela.KindInternal]
}

// coreFields renames the core's canonical field names (see pasarela.Error)
// to the wire's: Kashpay's spelling, "Acount" included.
var coreFields = map[string]string{
	"transaction_type":         "typeTransaction",
	"beneficiary_name":         "beneficiaryName",
	"beneficiary_account":      "beneficiaryAcount",
	"beneficiary_account_type": "beneficiaryTypeAcount",
	"bank_code":                "codeInstituteBank",
	"numeric_reference":        "numericReference",
	"alphanumeric_reference":   "alphanumericReference",
	"beneficiary_email":        "email",
	"beneficiary_rfc":          "rfc",
	"beneficiary_address1":     "beneficiaryAddress1",
	"beneficiary_address2":     "beneficiaryAddress2",
	"beneficiary_city":         "beneficiaryCity",
	"beneficiary_postal_code":  "postalCode",
	"date_transaction":         "dateTransaction",
	"idempotency_key":          "Idempotency-Key",
}

// wireField is the wire name of the field of a broken rule. The face's own
// decoding already names fields the wire's way, and none of those is a key
// of coreFields, so both kinds of error pass through here alike.
func wireField(f string) string {
	if w, ok := coreFields[f]; ok {
		return w
	}
	return f
}

// errorEnvelope renders err as the envelope and its HTTP status.
func errorEnvelope(err error) (int, envelope, bool) {
	e := pasarela.AsError(err)
	w := lookup(e)
	body := &errorBody{Name: w.name, Message: w.message, Code: w.code}
	internal := w.status >= 500 && e.Kind == pasarela.KindInternal
	if !internal {
		body.Field = wireField(e.Field)
		body.Detail = e.Message
		if body.Field != "" {
			body.Message = body.Field + ": " + w.message
		}
		if len(e.Fields) > 1 {
			for _, fe := range e.Fields {
				fw := lookup(&pasarela.Error{Kind: e.Kind, Code: fe.Code})
				body.Errors = append(body.Errors, fieldError{Field: wireField(fe.Field), Code: fw.code, Message: fe.Message})
			}
		}
	}
	if e.Code == "insufficient_funds" {
		// Kashpay's own words, as its clients may match them.
		body.Message, body.Field = w.message, ""
	}
	return w.status, envelope{Error: body}, internal
}

func (f *Face) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, env, internal := errorEnvelope(err)
	if internal {
		f.logInternal(r.Context(), err)
	}
	writeJSON(w, transport.Status(r.Context(), status), env)
}

// WriteHTTPError answers, in the face's format and with status, an error
// the server found at the HTTP level before any route ran (a request head
// too large, a path with dot segments).
func (f *Face) WriteHTTPError(w http.ResponseWriter, r *http.Request, status int, err error) {
	f.writeError(w, r.WithContext(transport.WithStatus(r.Context(), status)), err)
}
