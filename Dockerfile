# Build a static binary, then run it as an unprivileged user with the data
# directory on a volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/accountbot .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accountbot /usr/local/bin/accountbot
ENV ACCOUNTBOT_DATA_DIR=/data \
    ACCOUNTBOT_HTTP_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/accountbot"]
CMD ["run"]
