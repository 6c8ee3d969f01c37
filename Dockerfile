# One image for both roles: `portico controller` and `portico proxy`.
# Build: docker build -t portico:dev --build-arg VERSION=$(git describe --tags --always) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# Static, as `make build` does it.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/portico-dev/portico/internal/version.Version=${VERSION} -X github.com/portico-dev/portico/internal/version.Commit=${COMMIT}" \
      -o /out/portico .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portico /portico
USER 65532:65532
ENTRYPOINT ["/portico"]
