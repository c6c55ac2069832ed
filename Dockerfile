# Build a static binary, then run it as an unprivileged user with the data
# directory on a volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/accountbot . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accountbot /usr/local/bin/accountbot
# The data directory belongs to the nonroot user (65532), so that a fresh
# named volume, which takes its owner from the image, is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV ACCOUNTBOT_DATA_DIR=/data \
    ACCOUNTBOT_HTTP_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
# distroless has no curl: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/accountbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/accountbot"]
CMD ["run"]
