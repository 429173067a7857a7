# pasarela's container image: one static binary (the SQLite driver is pure
# Go, so CGO is off) on distroless's static base, which has CA
# certificates and time zones and nothing else: no shell, no package
# manager. It runs as the base's non-root user (65532); the SQLite
# database and its key file live in the /data volume.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t pasarela .
#   docker run -p 8080:8080 -v pasarela-data:/data pasarela serve --demo
#
# compose.yaml runs it on PostgreSQL, on two nodes.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, so that a change of code reuses the downloaded layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The repository's history is not copied in (see .dockerignore), so the
# version comes from the build argument rather than Go's VCS stamp.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/pasarela ./cmd/pasarela && \
    mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pasarela /usr/local/bin/pasarela
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
# Listen on every address of the container; buyers reach the hosted pages
# at PASARELA_PUBLIC_URL, which a deployment sets to its public address.
ENV PASARELA_ADDR=0.0.0.0:8080 \
    PASARELA_DB=sqlite:/data/pasarela.db \
    PASARELA_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# distroless has no curl: the binary asks its own /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/pasarela", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/pasarela"]
CMD ["serve"]
