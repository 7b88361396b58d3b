package io.pgephemeral.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AWS STS at the protocol level, for the real SDK client: the Query protocol (form-encoded POST,
 * {@code Action=GetCallerIdentity&Version=2011-06-15}), SigV4-signed, answered in XML. Each access
 * key id stands for one caller, as in AWS; an unknown key gets InvalidClientTokenId.
 */
public final class FakeSts implements AutoCloseable {

    private static final Pattern ACCESS_KEY = Pattern.compile("Credential=([^/]+)/");

    private final HttpServer server;
    private final Map<String, String> arnByAccessKey = new ConcurrentHashMap<>();

    public FakeSts() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Requests signed with {@code accessKeyId} come from {@code arn}. */
    public void caller(String accessKeyId, String arn) {
        arnByAccessKey.put(accessKeyId, arn);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
            Matcher key = ACCESS_KEY.matcher(auth);
            if (!"POST".equals(exchange.getRequestMethod()) || !auth.startsWith("AWS4-HMAC-SHA256 ") || !key.find()) {
                send(exchange, 403, error("MissingAuthenticationToken", "Request is missing Authentication Token"));
                return;
            }
            if (!"GetCallerIdentity".equals(form.get("Action")) || !"2011-06-15".equals(form.get("Version"))) {
                send(exchange, 400, error("InvalidAction", "Could not find operation " + form.get("Action")));
                return;
            }
            String arn = arnByAccessKey.get(key.group(1));
            if (arn == null) {
                send(exchange, 403, error("InvalidClientTokenId", "The security token included in the request is invalid."));
                return;
            }
            String account = arn.split(":")[4];
            send(exchange, 200, """
                    <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                      <GetCallerIdentityResult>
                        <Arn>%s</Arn>
                        <UserId>AROAEXAMPLE:%s</UserId>
                        <Account>%s</Account>
                      </GetCallerIdentityResult>
                      <ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>
                    </GetCallerIdentityResponse>
                    """.formatted(arn, arn.substring(arn.lastIndexOf('/') + 1), account, UUID.randomUUID()));
        }
    }

    private static String error(String code, String message) {
        return """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
                  <RequestId>%s</RequestId>
                </ErrorResponse>
                """.formatted(code, message, UUID.randomUUID());
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void send(HttpExchange exchange, int status, String xml) throws IOException {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
