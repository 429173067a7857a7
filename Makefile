# The test command of the README and of CI: every test (with the race
# detector), then each fuzz target for a few seconds.
FUZZTIME ?= 5s
GO ?= go

.PHONY: test unit fuzz bench run vet

test: vet unit fuzz

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseMajor$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeEnvelope$$' -fuzztime $(FUZZTIME) ./internal/face/payrest
	$(GO) test -run '^$$' -fuzz '^FuzzListOptions$$' -fuzztime $(FUZZTIME) ./internal/face/payrest

bench:
	$(GO) test -run '^$$' -bench UpdateDurable -benchtime 3s -count 3 ./internal/store/sqlite

run:
	$(GO) run ./cmd/pasarela serve --demo
