package main

import (
	"time"
)

// Config is every setting of the program. Environment variables give the
// defaults; flags override them.
type Config struct {
	Addr           string        `env:"PASARELA_ADDR" envDefault:"127.0.0.1:8080"`
	DB             string        `env:"PASARELA_DB" envDefault:"sqlite:./pasarela.db"`
	Demo           bool          `env:"PASARELA_DEMO"`
	NoMigrate      bool          `env:"PASARELA_NO_MIGRATE"`
	TrustedProxies string        `env:"PASARELA_TRUSTED_PROXIES"`
	LogFormat      string        `env:"PASARELA_LOG_FORMAT" envDefault:"text"`
	LogLevel       string        `env:"PASARELA_LOG_LEVEL" envDefault:"info"`
	MaxBodyBytes   int64         `env:"PASARELA_MAX_BODY_BYTES" envDefault:"1048576"`
	RequestTimeout time.Duration `env:"PASARELA_REQUEST_TIMEOUT" envDefault:"30s"`
	ShutdownGrace  time.Duration `env:"PASARELA_SHUTDOWN_GRACE" envDefault:"30s"`
	AccessTokenTTL time.Duration `env:"PASARELA_ACCESS_TOKEN_TTL" envDefault:"5m"`
}
