package web

import (
	"fmt"
	"strings"

	"github.com/pasarela/pasarela"
)

// Languages the pages speak. A payment in another language the core
// accepts (it, fr, de, pt, ca) is shown in English until its catalog is
// written.
const (
	langEN = "en"
	langES = "es"
)

// langOf is the page language of a payment's language.
func langOf(paymentLang string) string {
	if strings.EqualFold(paymentLang, langES) {
		return langES
	}
	return langEN
}

// catalog holds every text of the pages per language. Keys of field errors
// are "err.<field>.<code>" or "err.<code>"; of declines "decline.<code>".
// A test checks that both languages have the same keys.
var catalog = map[string]map[string]string{
	langEN: {
		"footer":               "Payments processed securely by Pasarela.",
		"checkout.title":       "Payment",
		"checkout.h1":          "Complete your payment",
		"card.heading":         "Pay by card",
		"card.name":            "Name on card",
		"card.number":          "Card number",
		"card.exp":             "Expiry date",
		"card.exp.hint":        "MM/YY, for example 04/29",
		"card.exp.placeholder": "MM/YY",
		"card.cvc":             "Security code",
		"card.cvc.hint":        "3 digits on the back, 4 on the front for Amex",
		"pay.button":           "Pay %s",
		"pay.busy":             "Processing…",
		"or":                   "or",
		"redirect.button":      "Pay with %s",
		"test.hint":            "Test mode: no money moves. Use the card 4242 4242 4242 4242 with any future date and any 3-digit code.",
		"errors.title":         "There is a problem",
		"error.prefix":         "Error:",
		"cancel.link":          "Cancel and return to %s",
		"return.link":          "Return to %s",
		"nomethods":            "No way of paying is available for this payment. Please contact the merchant.",
		"reference":            "Reference",
		"back.link":            "Back to the payment page",
		"refresh.link":         "Refresh",

		"challenge.title":   "Sandbox bank — confirm this payment",
		"challenge.body":    "Your bank asks you to confirm a payment of %s to %s.",
		"challenge.card":    "Card ending in %s",
		"challenge.note":    "This is the test bank of the sandbox: no real bank is involved and no money moves.",
		"challenge.approve": "Approve",
		"challenge.fail":    "Fail",

		"approval.title":   "PayPal sandbox",
		"approval.body":    "Approve the payment of %s to %s?",
		"approval.note":    "This page stands in for PayPal in test mode: no PayPal account is needed and no money moves.",
		"approval.approve": "Approve payment",
		"approval.cancel":  "Cancel",

		"continue.title": "Continue to PayPal",
		"continue.body":  "You will approve the payment of %s on PayPal, then come back here.",
		"continue.link":  "Continue to PayPal",

		"result.completed.title":  "Payment complete",
		"result.completed.body":   "Thank you. Your payment of %s to %s has been received.",
		"result.authorized.title": "Payment authorized",
		"result.authorized.body":  "Thank you. Your payment of %s to %s has been authorized; the merchant will take it when your order is ready.",
		"result.refunded.title":   "Payment refunded",
		"result.refunded.body":    "Your payment of %s to %s has been refunded in full or in part.",

		"processing.title": "Your payment is being processed",
		"processing.body":  "This takes a few seconds. This page updates by itself.",
		"expired.title":    "This payment link has expired",
		"expired.body":     "It can no longer be used to pay. Ask the merchant for a new link.",
		"canceled.title":   "This payment was cancelled",
		"canceled.body":    "The merchant cancelled it, so it can no longer be paid.",
		"failed.title":     "This payment could not be completed",
		"failed.body":      "It can no longer be paid. No money was taken. Please contact the merchant.",
		"notfound.title":   "Payment page not found",
		"notfound.body":    "Check the link you followed. A payment link works only as the merchant sent it.",
		"csrf.title":       "This form could not be accepted",
		"csrf.body":        "It was sent from an old page or from another site. Go back to the payment page and try again; nothing was charged.",
		"badform.title":    "This form could not be read",
		"badform.body":     "Go back to the payment page and try again; nothing was charged.",
		"error.title":      "Something went wrong",
		"error.body":       "We could not show this payment. Please try again in a moment.",

		"err.name.required":             "Enter the name on the card",
		"err.name.too_long":             "The name is too long: use at most 100 characters",
		"err.number.required":           "Enter the card number",
		"err.card_number":               "Enter a valid card number",
		"err.invalid_number":            "Enter a valid card number",
		"err.expiry":                    "Enter the expiry date as MM/YY",
		"err.invalid_expiry":            "Enter the expiry date as MM/YY",
		"err.expired":                   "This card has expired",
		"err.expired_card":              "This card has expired",
		"err.cvc":                       "Enter the 3 or 4 digit security code",
		"err.invalid_cvc":               "Enter the security code printed on the card",
		"err.required":                  "This field is required",
		"err.too_long":                  "This is too long",
		"err.generic":                   "Check this field",
		"err.no_gateway":                "This way of paying is not available for this payment",
		"err.unsupported":               "This way of paying is not available for this payment",
		"err.link_expired":              "This payment link has expired",
		"err.not_payable":               "This payment can no longer be paid",
		"decline.card_declined":         "Your card was declined. Try another card.",
		"decline.insufficient_funds":    "Your card has insufficient funds. Try another card.",
		"decline.expired_card":          "Your card has expired. Try another card.",
		"decline.incorrect_cvc":         "The security code is incorrect. Check it and try again.",
		"decline.processing_error":      "We could not process your card. Please try again in a moment.",
		"decline.authentication_failed": "Your bank could not confirm this payment (3-D Secure). Try again or use another card.",
		"decline.buyer_canceled":        "You cancelled the payment at PayPal. You can try again or pay another way.",
		"decline.generic":               "Your payment was not completed. Try again or use another card.",

		"agreement.title":                 "Subscription",
		"agreement.h1":                    "Set up your subscription",
		"agreement.terms.heading":         "Terms",
		"agreement.every":                 "%s %s",
		"agreement.cycles":                ", %d payments",
		"agreement.cycles.one":            ", %d payment",
		"agreement.until":                 ", until %s",
		"agreement.first":                 "First charge on %s.",
		"agreement.note":                  "Your card is checked now with a temporary hold that is released at once; each payment is then taken from it on its due date, until you or the merchant cancel.",
		"agreement.button":                "Confirm subscription",
		"agreement.confirmed.title":       "Subscription confirmed",
		"agreement.confirmed.body":        "Thank you. %s will be charged to your card ending in %s.",
		"agreement.closed.title":          "This subscription can no longer be confirmed",
		"agreement.closed.body":           "It was cancelled or replaced. Ask the merchant for a new link; nothing has been charged.",
		"decline.authentication_required": "Your bank asks you to confirm this payment. Approve it to continue.",
		"interval.day":                    "every day",
		"interval.week":                   "every week",
		"interval.month":                  "every month",
		"interval.year":                   "every year",
		"interval.day.plural":             "every %d days",
		"interval.week.plural":            "every %d weeks",
		"interval.month.plural":           "every %d months",
		"interval.year.plural":            "every %d years",
		"date":                            "%d %s %d",
		"date.day1":                       "%d %s %d",
		"month.1":                         "January",
		"month.2":                         "February",
		"month.3":                         "March",
		"month.4":                         "April",
		"month.5":                         "May",
		"month.6":                         "June",
		"month.7":                         "July",
		"month.8":                         "August",
		"month.9":                         "September",
		"month.10":                        "October",
		"month.11":                        "November",
		"month.12":                        "December",
	},
	langES: {
		"footer":               "Pagos procesados de forma segura por Pasarela.",
		"checkout.title":       "Pago",
		"checkout.h1":          "Completa tu pago",
		"card.heading":         "Pagar con tarjeta",
		"card.name":            "Nombre en la tarjeta",
		"card.number":          "Número de tarjeta",
		"card.exp":             "Fecha de caducidad",
		"card.exp.hint":        "MM/AA, por ejemplo 04/29",
		"card.exp.placeholder": "MM/AA",
		"card.cvc":             "Código de seguridad",
		"card.cvc.hint":        "3 cifras en el dorso, 4 en el anverso en Amex",
		"pay.button":           "Pagar %s",
		"pay.busy":             "Procesando…",
		"or":                   "o",
		"redirect.button":      "Pagar con %s",
		"test.hint":            "Modo de prueba: no se mueve dinero. Usa la tarjeta 4242 4242 4242 4242 con cualquier fecha futura y cualquier código de 3 cifras.",
		"errors.title":         "Hay un problema",
		"error.prefix":         "Error:",
		"cancel.link":          "Cancelar y volver a %s",
		"return.link":          "Volver a %s",
		"nomethods":            "No hay ninguna forma de pago disponible para este pago. Ponte en contacto con el comercio.",
		"reference":            "Referencia",
		"back.link":            "Volver a la página de pago",
		"refresh.link":         "Actualizar",

		"challenge.title":   "Banco de pruebas — confirma este pago",
		"challenge.body":    "Tu banco te pide que confirmes un pago de %s a %s.",
		"challenge.card":    "Tarjeta terminada en %s",
		"challenge.note":    "Este es el banco de pruebas del entorno sandbox: no interviene ningún banco real y no se mueve dinero.",
		"challenge.approve": "Aprobar",
		"challenge.fail":    "Rechazar",

		"approval.title":   "PayPal (pruebas)",
		"approval.body":    "¿Apruebas el pago de %s a %s?",
		"approval.note":    "Esta página sustituye a PayPal en modo de prueba: no necesitas una cuenta de PayPal y no se mueve dinero.",
		"approval.approve": "Aprobar el pago",
		"approval.cancel":  "Cancelar",

		"continue.title": "Continuar en PayPal",
		"continue.body":  "Aprobarás el pago de %s en PayPal y después volverás aquí.",
		"continue.link":  "Continuar en PayPal",

		"result.completed.title":  "Pago completado",
		"result.completed.body":   "Gracias. Hemos recibido tu pago de %s a %s.",
		"result.authorized.title": "Pago autorizado",
		"result.authorized.body":  "Gracias. Tu pago de %s a %s está autorizado; el comercio lo cobrará cuando tu pedido esté listo.",
		"result.refunded.title":   "Pago reembolsado",
		"result.refunded.body":    "Tu pago de %s a %s se ha reembolsado total o parcialmente.",

		"processing.title": "Estamos procesando tu pago",
		"processing.body":  "Tarda unos segundos. Esta página se actualiza sola.",
		"expired.title":    "Este enlace de pago ha caducado",
		"expired.body":     "Ya no se puede usar para pagar. Pide un enlace nuevo al comercio.",
		"canceled.title":   "Este pago se ha cancelado",
		"canceled.body":    "El comercio lo ha cancelado, así que ya no se puede pagar.",
		"failed.title":     "No se ha podido completar este pago",
		"failed.body":      "Ya no se puede pagar. No se ha cobrado nada. Ponte en contacto con el comercio.",
		"notfound.title":   "No encontramos esta página de pago",
		"notfound.body":    "Revisa el enlace que has seguido. Un enlace de pago solo funciona tal como lo envió el comercio.",
		"csrf.title":       "No hemos podido aceptar este formulario",
		"csrf.body":        "Se envió desde una página antigua o desde otro sitio. Vuelve a la página de pago e inténtalo de nuevo; no se ha cobrado nada.",
		"badform.title":    "No hemos podido leer este formulario",
		"badform.body":     "Vuelve a la página de pago e inténtalo de nuevo; no se ha cobrado nada.",
		"error.title":      "Algo ha fallado",
		"error.body":       "No hemos podido mostrar este pago. Inténtalo de nuevo en unos momentos.",

		"err.name.required":             "Introduce el nombre que figura en la tarjeta",
		"err.name.too_long":             "El nombre es demasiado largo: usa 100 caracteres como máximo",
		"err.number.required":           "Introduce el número de la tarjeta",
		"err.card_number":               "Introduce un número de tarjeta válido",
		"err.invalid_number":            "Introduce un número de tarjeta válido",
		"err.expiry":                    "Introduce la fecha de caducidad como MM/AA",
		"err.invalid_expiry":            "Introduce la fecha de caducidad como MM/AA",
		"err.expired":                   "Esta tarjeta ha caducado",
		"err.expired_card":              "Esta tarjeta ha caducado",
		"err.cvc":                       "Introduce el código de seguridad de 3 o 4 cifras",
		"err.invalid_cvc":               "Introduce el código de seguridad impreso en la tarjeta",
		"err.required":                  "Este campo es obligatorio",
		"err.too_long":                  "Es demasiado largo",
		"err.generic":                   "Revisa este campo",
		"err.no_gateway":                "Esta forma de pago no está disponible para este pago",
		"err.unsupported":               "Esta forma de pago no está disponible para este pago",
		"err.link_expired":              "Este enlace de pago ha caducado",
		"err.not_payable":               "Este pago ya no se puede pagar",
		"decline.card_declined":         "Tu tarjeta ha sido rechazada. Prueba con otra tarjeta.",
		"decline.insufficient_funds":    "Tu tarjeta no tiene fondos suficientes. Prueba con otra tarjeta.",
		"decline.expired_card":          "Tu tarjeta ha caducado. Prueba con otra tarjeta.",
		"decline.incorrect_cvc":         "El código de seguridad no es correcto. Revísalo e inténtalo de nuevo.",
		"decline.processing_error":      "No hemos podido procesar tu tarjeta. Inténtalo de nuevo en unos momentos.",
		"decline.authentication_failed": "Tu banco no ha podido confirmar este pago (3-D Secure). Inténtalo de nuevo o usa otra tarjeta.",
		"decline.buyer_canceled":        "Has cancelado el pago en PayPal. Puedes intentarlo de nuevo o pagar de otra forma.",
		"decline.generic":               "Tu pago no se ha completado. Inténtalo de nuevo o usa otra tarjeta.",

		"agreement.title":                 "Suscripción",
		"agreement.h1":                    "Configura tu suscripción",
		"agreement.terms.heading":         "Condiciones",
		"agreement.every":                 "%s %s",
		"agreement.cycles":                ", %d pagos",
		"agreement.cycles.one":            ", %d pago",
		"agreement.until":                 ", hasta el %s",
		"agreement.first":                 "Primer cargo el %s.",
		"agreement.note":                  "Comprobamos tu tarjeta ahora con una retención temporal que se libera al momento; después cada pago se cobra en su fecha, hasta que tú o el comercio canceléis.",
		"agreement.button":                "Confirmar suscripción",
		"agreement.confirmed.title":       "Suscripción confirmada",
		"agreement.confirmed.body":        "Gracias. Se cobrará %s en tu tarjeta terminada en %s.",
		"agreement.closed.title":          "Esta suscripción ya no se puede confirmar",
		"agreement.closed.body":           "Se canceló o se sustituyó. Pide al comercio un enlace nuevo; no se ha cobrado nada.",
		"decline.authentication_required": "Tu banco te pide que confirmes este pago. Apruébalo para continuar.",
		"interval.day":                    "cada día",
		"interval.week":                   "cada semana",
		"interval.month":                  "cada mes",
		"interval.year":                   "cada año",
		"interval.day.plural":             "cada %d días",
		"interval.week.plural":            "cada %d semanas",
		"interval.month.plural":           "cada %d meses",
		"interval.year.plural":            "cada %d años",
		"date":                            "%d de %s de %d",
		"date.day1":                       "%d de %s de %d",
		"month.1":                         "enero",
		"month.2":                         "febrero",
		"month.3":                         "marzo",
		"month.4":                         "abril",
		"month.5":                         "mayo",
		"month.6":                         "junio",
		"month.7":                         "julio",
		"month.8":                         "agosto",
		"month.9":                         "septiembre",
		"month.10":                        "octubre",
		"month.11":                        "noviembre",
		"month.12":                        "diciembre",
	},
}

// translate returns the text of key in lang (English when lang lacks it),
// formatted with args.
func translate(lang, key string, args ...any) string {
	msg, ok := catalog[lang][key]
	if !ok {
		if msg, ok = catalog[langEN][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

func has(lang, key string) bool { _, ok := catalog[lang][key]; return ok }

// fieldError is the message of a broken rule of a card field: the
// catalog's, else (in English) the core's own safe message, else a generic
// one.
func fieldError(lang, field, code, fallback string) string {
	for _, key := range []string{"err." + field + "." + code, "err." + code} {
		if has(lang, key) {
			return translate(lang, key)
		}
	}
	if lang == langEN && fallback != "" {
		return capitalize(fallback)
	}
	return translate(lang, "err.generic")
}

// declineFields places the declines that concern one input next to it.
var declineFields = map[string]string{
	"expired_card":   "exp",
	"incorrect_cvc":  "cvc",
	"invalid_number": "number",
	"invalid_expiry": "exp",
	"invalid_cvc":    "cvc",
}

// declineError is the message of a failed attempt (a processor's decline
// code, or a refusal of the core), and the field it concerns if any.
func declineError(lang, code, fallback string) (field, msg string) {
	field = declineFields[code]
	switch {
	case has(lang, "decline."+code):
		return field, translate(lang, "decline."+code)
	case has(lang, "err."+code):
		return field, translate(lang, "err."+code)
	case lang == langEN && fallback != "":
		return field, capitalize(fallback)
	}
	return field, translate(lang, "decline.generic")
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// formatAmount writes minor units in major units with the currency code,
// grouped as the language writes numbers: "1,234.50 EUR" in English,
// "1.234,50 EUR" in Spanish.
func formatAmount(minor int64, currency, lang string) string {
	cur, ok := pasarela.LookupCurrency(currency)
	if !ok {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	s := pasarela.FormatMajor(minor, cur)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	group, point := ",", "."
	if lang == langES {
		group, point = ".", ","
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString(point + frac)
	}
	return b.String() + " " + cur.Code
}
