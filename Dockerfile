# syntax=docker/dockerfile:1
# Multi-stage build: a static omnify binary in a minimal, non-root image.

FROM node:20-bookworm-slim AS web
WORKDIR /src/web
# The web app is built here once it exists; until then dist holds only .gitkeep.
COPY web/ ./
RUN if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; fi

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/omnify ./cmd/omnify

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/omnify /usr/local/bin/omnify
ENV OMNIFY_HTTP_ADDR=:8080 \
    OMNIFY_DATA_DIR=/home/nonroot/data \
    OMNIFY_LOG_FORMAT=json
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/omnify", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/omnify"]
CMD ["serve"]
