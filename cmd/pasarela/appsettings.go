package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// appSettingsFlags are the page and access settings flags that app create
// and app update share.
type appSettingsFlags struct {
	fs                                 *flag.FlagSet
	successURL, failureURL, notifyURL  string
	notifyFormat, allowedIPs, language string
	requireKey                         bool
}

// register declares the settings flags on fs.
func (f *appSettingsFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.successURL, "success-url", "", "where the hosted page sends the buyer after a successful payment")
	fs.StringVar(&f.failureURL, "failure-url", "", "where the hosted page sends the buyer after a failed or abandoned payment")
	fs.StringVar(&f.notifyURL, "notify-url", "", "the merchant's server, called on each outcome of a payment")
	fs.StringVar(&f.notifyFormat, "notify-format", pasarela.FormatGestpay,
		"the format of the calls to --notify-url, one of "+strings.Join(pasarela.WebhookFormats, ", ")+
			" (gestpay: the only API whose shops set such a URL today)")
	fs.StringVar(&f.allowedIPs, "allowed-ips", "", "comma-separated addresses and CIDR prefixes that may call without the API key, e.g. 127.0.0.1/32,10.0.0.0/8")
	fs.BoolVar(&f.requireKey, "require-key", false, "require the API key even from --allowed-ips")
	fs.StringVar(&f.language, "language", "", "the hosted pages' default language (it, en, es, fr, de, pt, ca)")
}

// input returns the settings as the core takes them. Only the flags given
// are present, so that app update changes those alone; an empty value
// clears a setting.
func (f *appSettingsFlags) input() core.ApplicationInput {
	in := core.ApplicationInput{NotifyFormat: f.notifyFormat}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "success-url":
			in.SuccessURL = pasarela.Set(f.successURL)
		case "failure-url":
			in.FailureURL = pasarela.Set(f.failureURL)
		case "notify-url":
			in.NotifyURL = pasarela.Set(f.notifyURL)
		case "language":
			in.Language = pasarela.Set(f.language)
		case "require-key":
			in.RequireKey = pasarela.Set(f.requireKey)
		case "allowed-ips":
			ips := []string{}
			for _, ip := range strings.Split(f.allowedIPs, ",") {
				if ip = strings.TrimSpace(ip); ip != "" {
					ips = append(ips, ip)
				}
			}
			in.AllowedIPs = pasarela.Set(ips)
		}
	})
	return in
}

// settingsFlags names the core's settings fields as the flags that set
// them, so that a refusal points at the flag to fix.
var settingsFlags = map[string]string{
	"name":               "--name",
	"pages.success_url":  "--success-url",
	"pages.failure_url":  "--failure-url",
	"pages.notify_url":   "--notify-url",
	"notify_format":      "--notify-format",
	"pages.language":     "--language",
	"access.allowed_ips": "--allowed-ips",
}

// settingsError rewrites a validation error of the core with the flags'
// names, one line per broken rule; other errors are returned as they are.
func settingsError(err error) error {
	var e *pasarela.Error
	if !errors.As(err, &e) || e.Kind != pasarela.KindInvalid || len(e.Fields) == 0 {
		return err
	}
	lines := make([]string, 0, len(e.Fields))
	for _, fe := range e.Fields {
		name := fe.Field
		if base, index, ok := strings.Cut(name, "["); ok && settingsFlags[base] != "" {
			name = settingsFlags[base] + " entry [" + index
		} else if fl, ok := settingsFlags[name]; ok {
			name = fl
		}
		lines = append(lines, name+": "+fe.Message)
	}
	return errors.New(strings.Join(lines, "\n"))
}

// appSettingsOut is the --json shape of an application's settings.
type appSettingsOut struct {
	SuccessURL string   `json:"successUrl"`
	FailureURL string   `json:"failureUrl"`
	NotifyURL  string   `json:"notifyUrl"`
	Language   string   `json:"language"`
	AllowedIPs []string `json:"allowedIps"`
	RequireKey bool     `json:"requireKey"`
}

func settingsOut(a *pasarela.Application) *appSettingsOut {
	out := &appSettingsOut{SuccessURL: a.Pages.SuccessURL, FailureURL: a.Pages.FailureURL, NotifyURL: a.Pages.NotifyURL,
		Language: a.Pages.Language, AllowedIPs: make([]string, len(a.Access.AllowedIPs)), RequireKey: a.Access.RequireKey}
	for i, p := range a.Access.AllowedIPs {
		out.AllowedIPs[i] = p.String()
	}
	return out
}

// printSettings prints the settings an application has, one per line,
// leaving out those unset.
func (o output) printSettings(a *pasarela.Application) {
	s := settingsOut(a)
	for _, kv := range [][2]string{{"success URL", s.SuccessURL}, {"failure URL", s.FailureURL},
		{"notify URL", s.NotifyURL}, {"language", s.Language}, {"allowed IPs", strings.Join(s.AllowedIPs, ",")}} {
		if kv[1] != "" {
			fmt.Fprintf(o.stdout, "%s: %s\n", kv[0], kv[1])
		}
	}
	if s.RequireKey {
		fmt.Fprintln(o.stdout, "API key required from the allowed IPs too")
	}
}
