package main

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/store/sqlite"
)

// TestVersion: `pasarela version` and `--version` print the build and the
// schema this binary migrates to; the VCS settings Go stamps are read.
func TestVersion(t *testing.T) {
	migs, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := MustRun(t, nil, args...)
		if !strings.HasPrefix(out, "pasarela ") || !strings.Contains(out, "schema version "+jsonNumber(int64(len(migs)))) {
			t.Errorf("%v printed %q", args, out)
		}
	}
	var b buildInfo
	if err := json.Unmarshal([]byte(MustRun(t, nil, "version", "--json")), &b); err != nil || b.Schema != len(migs) || b.Version == "" {
		t.Errorf("version --json: %+v, %v", b, err)
	}
	got := buildInfoOf(&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, "")
	if got.Version != "v1.4.0" || got.Commit != "abc123" || got.BuildDate != "2026-12-01T10:00:00Z" || !got.Modified {
		t.Errorf("from build info: %+v", got)
	}
	if got := buildInfoOf(nil, "v2.0.0"); got.Version != "v2.0.0" {
		t.Errorf("the linker's version: %+v", got)
	}
}

// TestStartAndStopLogged: serve logs one line when it starts (version,
// engine, schema, listeners) and one when it stops.
func TestStartAndStopLogged(t *testing.T) {
	var out, errOut bytes.Buffer
	m := parseServe(t, []string{"PASARELA_LOG_FORMAT=json"}, &out, &errOut, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0").newMain()
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	var started, stopped map[string]any
	for line := range strings.SplitSeq(errOut.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec["msg"] {
		case "pasarela started":
			started = rec
		case "pasarela stopped":
			stopped = rec
		}
	}
	if started == nil || started["engine"] != "sqlite" || started["version"] == "" || started["schema"] == nil {
		t.Fatalf("start line: %v\n%s", started, errOut.String())
	}
	ls, _ := started["listeners"].([]any)
	if len(ls) != 1 || ls[0] != m.URL() {
		t.Errorf("listeners %v, want [%s]", started["listeners"], m.URL())
	}
	if stopped == nil {
		t.Errorf("no stop line:\n%s", errOut.String())
	}
}
