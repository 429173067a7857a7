package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/pasarela/pasarela/internal/store/engine"
)

// version is the release this binary is, when the build says so with
// -ldflags "-X main.version=v1.2.3" (the container image does, as it
// builds without the repository's history); otherwise the module version
// Go recorded (a tag for `go install …@v1.2.3`, "(devel)" for a checkout).
var version = ""

// buildInfo is what `pasarela version` prints and serve logs on start.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	BuildDate string `json:"buildDate,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	// Schema is the newest schema version this binary migrates to (the
	// same number on both engines).
	Schema int `json:"schema"`
}

// readBuildInfo reads the version, commit and build date Go stamped into
// the binary (the VCS settings of debug.ReadBuildInfo; a `go run` or a
// build outside a repository has none).
func readBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return buildInfoOf(bi, version)
}

// buildInfoOf reads bi (nil when the binary has none) and the version the
// linker set, if any.
func buildInfoOf(bi *debug.BuildInfo, version string) buildInfo {
	b := buildInfo{Version: version, GoVersion: runtime.Version()}
	if bi != nil {
		if b.Version == "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.BuildDate = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	b.Schema, _, _ = engine.SchemaVersions()
	return b
}

// VersionCommand is `pasarela version` (also `pasarela --version`).
type VersionCommand struct {
	output
	asJSON bool
}

// ParseFlags reads --json.
func (c *VersionCommand) ParseFlags(args, environ []string) error {
	fs := newFlagSet("version", c.stderr)
	jsonFlag(fs, &c.asJSON)
	return parseArgs(fs, args)
}

// Run prints the version.
func (c *VersionCommand) Run(context.Context) error {
	b := readBuildInfo()
	if c.asJSON {
		return c.printJSON(b)
	}
	commit := b.Commit
	if commit == "" {
		commit = "unknown"
	} else if b.Modified {
		commit += " (modified)"
	}
	date := b.BuildDate
	if date == "" {
		date = "unknown"
	}
	fmt.Fprintf(c.stdout, "pasarela %s\ncommit %s\nbuilt %s\nschema version %d\n%s\n", b.Version, commit, date, b.Schema, b.GoVersion)
	return nil
}
