package io.pgephemeral.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * AWS Secrets Manager at the protocol level, on loopback, for the real AWS SDK client: AWS JSON 1.1
 * over HTTP POST with {@code X-Amz-Target: secretsmanager.<Operation>}, SigV4-signed requests,
 * errors as {@code {"__type": ..., "message": ...}}. It implements what the broker uses, as the
 * Secrets Manager API reference describes it: name conflicts, ResourceNotFound, deletion with and
 * without a recovery window, ClientRequestToken idempotency, version stages (moved by
 * UpdateSecretVersionStage, with AWSPREVIOUS following AWSCURRENT), tags, KMS key ids, resource
 * policies, and ListSecrets with its name-prefix and tag-key filters and pages.
 *
 * <p>Faults can be queued per operation (HTTP status and error type); a call can be stalled (the
 * connection accepted, no answer) until the test releases it, and then carried out late or
 * refused; a force-deleted name can be kept reserved for a while, as AWS releases it
 * asynchronously.
 */
public final class FakeSecretsManager implements AutoCloseable {

    public static final String ACCOUNT = "123456789012";
    public static final String REGION = "us-east-1";

    /** One stored secret. */
    public static final class Secret {
        public final String name;
        public final String arn;
        public final String description;
        public final String kmsKeyId;
        public final Map<String, String> tags = new LinkedHashMap<>();
        /** A resource policy (JSON) if one was put. */
        public String resourcePolicy;
        public Instant createdDate = Instant.now();
        public Instant lastChangedDate = createdDate;
        /** version id to value, oldest first. */
        public final Map<String, String> versions = new LinkedHashMap<>();
        public String current;
        public String previous;
        public Instant deletedDate;
        public Instant deletionDate;

        Secret(String name, String arn, String description, String kmsKeyId) {
            this.name = name;
            this.arn = arn;
            this.description = description;
            this.kmsKeyId = kmsKeyId;
        }

        public String currentValue() {
            return versions.get(current);
        }
    }

    /** An injected failure; {@code afterProcessing}: the request takes effect, only the answer is lost. */
    private record Fault(int status, String type, String message, boolean afterProcessing) {
    }

    private final HttpServer server;
    private final ObjectMapper json;
    private final Map<String, Secret> byName = new ConcurrentHashMap<>();
    private final Map<String, Instant> reservedUntil = new ConcurrentHashMap<>();
    private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> callsPerSecret = new ConcurrentHashMap<>();
    private final List<String> requestBodies = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Deque<Stall>> stalls = new ConcurrentHashMap<>();
    private volatile long forceDeleteReleaseMillis;

    public FakeSecretsManager(ObjectMapper json) throws IOException {
        this.json = json;
        // Without TCP_NODELAY the JDK server's split header/body writes meet the client's delayed
        // ACK, adding about 40 ms to every call: a property of this fake, not of AWS.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "fake-secrets-manager");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next {@code times} calls of {@code operation} fail with this status and error type. */
    public void failNext(String operation, int times, int status, String type) {
        Deque<Fault> queue = faults.computeIfAbsent(operation, k -> new ArrayDeque<>());
        synchronized (queue) {
            for (int i = 0; i < times; i++) {
                queue.add(new Fault(status, type, "injected fault", false));
            }
        }
    }

    /**
     * The next call of {@code operation} is carried out, but its answer is replaced by this error,
     * as when AWS did the work and the response was lost on the way back.
     */
    public void failAfterProcessingNext(String operation, int status, String type) {
        Deque<Fault> queue = faults.computeIfAbsent(operation, k -> new ArrayDeque<>());
        synchronized (queue) {
            queue.add(new Fault(status, type, "injected fault after processing", true));
        }
    }

    /**
     * A call held without an answer, as by a service or network that accepted the connection and
     * went quiet. The test waits for it to arrive, then releases it: carried out late (the client
     * has usually given up by then), or refused without effect.
     */
    public static final class Stall {
        private final java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        private volatile boolean carryOut;

        /** Waits until the stalled call has reached the service. */
        public void awaitArrival() throws InterruptedException {
            if (!arrived.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("the stalled call never arrived");
            }
        }

        /** Carries the call out now, and waits until it took effect. */
        public void carryOut() throws InterruptedException {
            carryOut = true;
            released.countDown();
            if (!finished.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("the stalled call was not carried out");
            }
        }

        /** Answers the call with an error, without carrying it out. */
        public void refuse() {
            carryOut = false;
            released.countDown();
        }
    }

    /** The next call of {@code operation} stalls until the returned handle releases it. */
    public Stall stallNext(String operation) {
        return stall(operation, 1);
    }

    /** The {@code nth} call of {@code operation} from now stalls; the ones before it are answered. */
    public Stall stall(String operation, int nth) {
        Stall stall = new Stall();
        Deque<Stall> queue = stalls.computeIfAbsent(operation, k -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        for (int i = 1; i < nth; i++) {
            queue.add(PASS);
        }
        queue.add(stall);
        return stall;
    }

    /** A place in a stall queue for a call that is answered as usual. */
    private static final Stall PASS = new Stall();

    /** Makes a secret look older than it is: created and last changed {@code age} ago. */
    public void age(String name, java.time.Duration age) {
        Secret s = byName.get(name);
        s.createdDate = s.createdDate.minus(age);
        s.lastChangedDate = s.lastChangedDate.minus(age);
    }

    /**
     * Stores a secret the way another principal of the account could: its own key, tags and
     * policy. Null key or policy: AWS's managed key, no policy.
     */
    public Secret putForeign(String name, String kmsKeyId, Map<String, String> tags, String resourcePolicy,
                             String value) {
        Secret s = new Secret(name, "arn:aws:secretsmanager:" + REGION + ":" + ACCOUNT + ":secret:" + name + "-"
                + UUID.randomUUID().toString().substring(0, 6), "squatted", kmsKeyId);
        s.tags.putAll(tags);
        s.resourcePolicy = resourcePolicy;
        String version = UUID.randomUUID().toString();
        s.versions.put(version, value);
        s.current = version;
        byName.put(name, s);
        return s;
    }

    /** Keeps a force-deleted name reserved for this long, like AWS's asynchronous deletion. */
    public void releaseForceDeletedNamesAfter(long millis) {
        this.forceDeleteReleaseMillis = millis;
    }

    public int calls(String operation) {
        AtomicInteger n = calls.get(operation);
        return n == null ? 0 : n.get();
    }

    /** Calls of {@code operation} naming this secret (by the id the caller sent: name or ARN). */
    public int calls(String operation, String secretId) {
        AtomicInteger n = callsPerSecret.get(operation + " " + secretId);
        return n == null ? 0 : n.get();
    }

    public Secret secret(String name) {
        return byName.get(name);
    }

    /** Secrets that are not deleted. */
    public List<Secret> liveSecrets() {
        return byName.values().stream().filter(s -> s.deletedDate == null).toList();
    }

    /** Every request body received, for checking what was sent. */
    public List<String> requestBodies() {
        synchronized (requestBodies) {
            return List.copyOf(requestBodies);
        }
    }

    public void clearFaults() {
        faults.clear();
    }

    public void reset() {
        stalls.clear();
        byName.clear();
        reservedUntil.clear();
        faults.clear();
        calls.clear();
        callsPerSecret.clear();
        requestBodies.clear();
        forceDeleteReleaseMillis = 0;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---- protocol ----

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (!"POST".equals(exchange.getRequestMethod()) || target == null || !target.startsWith("secretsmanager.")) {
                send(exchange, 400, error("UnknownOperationException", "unknown operation"));
                return;
            }
            if (auth == null || !auth.startsWith("AWS4-HMAC-SHA256 Credential=")) {
                send(exchange, 400, error("MissingAuthenticationTokenException", "request is not signed"));
                return;
            }
            String operation = target.substring("secretsmanager.".length());
            calls.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
            requestBodies.add(new String(body, StandardCharsets.UTF_8));
            Map<String, Object> request = json.readValue(body, TestEnvironment.MAP);
            if (request.get("SecretId") instanceof String secretId) {
                callsPerSecret.computeIfAbsent(operation + " " + secretId, k -> new AtomicInteger()).incrementAndGet();
            }
            Deque<Fault> queue = faults.get(operation);
            Fault fault = null;
            if (queue != null) {
                synchronized (queue) {
                    fault = queue.poll();
                }
            }
            if (fault != null && !fault.afterProcessing()) {
                send(exchange, fault.status(), error(fault.type(), fault.message()));
                return;
            }
            Deque<Stall> held = stalls.get(operation);
            Stall stall = held == null ? null : held.poll();
            if (stall == PASS) {
                stall = null;
            }
            if (stall != null) {
                stall.arrived.countDown();
                try {
                    stall.released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!stall.carryOut) {
                    quietly(exchange, 400, error("AccessDeniedException", "stalled call refused"));
                    return;
                }
            }
            Object response;
            try {
                synchronized (this) {
                    response = switch (operation) {
                        case "CreateSecret" -> createSecret(request);
                        case "PutSecretValue" -> putSecretValue(request);
                        case "GetSecretValue" -> getSecretValue(request);
                        case "DescribeSecret" -> describeSecret(request);
                        case "DeleteSecret" -> deleteSecret(request);
                        case "TagResource" -> tagResource(request);
                        case "UntagResource" -> untagResource(request);
                        case "GetResourcePolicy" -> getResourcePolicy(request);
                        case "PutResourcePolicy" -> putResourcePolicy(request);
                        case "DeleteResourcePolicy" -> deleteResourcePolicy(request);
                        case "UpdateSecretVersionStage" -> updateSecretVersionStage(request);
                        case "ListSecrets" -> listSecrets(request);
                        default -> throw new AwsError("UnknownOperationException", "operation " + operation + " is not supported");
                    };
                }
            } catch (AwsError e) {
                send(exchange, 400, error(e.type, e.getMessage()));
                return;
            }
            if (stall != null) {
                stall.finished.countDown();
                quietly(exchange, 200, json.writeValueAsBytes(response)); // the client may be long gone
                return;
            }
            if (fault != null) {
                send(exchange, fault.status(), error(fault.type(), fault.message()));
                return;
            }
            send(exchange, 200, json.writeValueAsBytes(response));
        }
    }

    private static final class AwsError extends RuntimeException {
        final String type;

        AwsError(String type, String message) {
            super(message);
            this.type = type;
        }
    }

    private Map<String, Object> createSecret(Map<String, Object> r) {
        String name = required(r, "Name");
        checkName(name);
        checkTags(list(r.get("Tags")));
        String token = tokenOf(r);
        String value = (String) r.get("SecretString");
        Secret existing = byName.get(name);
        if (existing != null) {
            if (existing.deletedDate != null) {
                throw new AwsError("InvalidRequestException", "You can't create this secret because a secret with this"
                        + " name is already scheduled for deletion.");
            }
            // Idempotent retry: same token, same value.
            if (existing.versions.containsKey(token) && existing.versions.get(token).equals(value)) {
                return Map.of("ARN", existing.arn, "Name", name, "VersionId", token);
            }
            throw new AwsError("ResourceExistsException", "The operation failed because the secret " + name
                    + " already exists.");
        }
        Instant reserved = reservedUntil.get(name);
        if (reserved != null && Instant.now().isBefore(reserved)) {
            throw new AwsError("InvalidRequestException", "You can't create this secret because a secret with this"
                    + " name is already scheduled for deletion.");
        }
        reservedUntil.remove(name);
        Secret s = new Secret(name, "arn:aws:secretsmanager:" + REGION + ":" + ACCOUNT + ":secret:" + name + "-"
                + UUID.randomUUID().toString().substring(0, 6), (String) r.get("Description"), (String) r.get("KmsKeyId"));
        for (Map<String, Object> tag : list(r.get("Tags"))) {
            s.tags.put((String) tag.get("Key"), (String) tag.get("Value"));
        }
        byName.put(name, s);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ARN", s.arn);
        out.put("Name", name);
        if (value != null) {
            s.versions.put(token, value);
            s.current = token;
            out.put("VersionId", token);
        }
        return out;
    }

    private Map<String, Object> putSecretValue(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        requireNotDeleted(s);
        String token = tokenOf(r);
        String value = (String) r.get("SecretString");
        if (s.versions.containsKey(token)) {
            if (s.versions.get(token).equals(value)) {
                return Map.of("ARN", s.arn, "Name", s.name, "VersionId", token, "VersionStages", List.of("AWSCURRENT"));
            }
            throw new AwsError("ResourceExistsException", "You can't modify an existing version, you can only create a new version.");
        }
        s.versions.put(token, value);
        s.previous = s.current;
        s.current = token;
        s.lastChangedDate = Instant.now();
        return Map.of("ARN", s.arn, "Name", s.name, "VersionId", token, "VersionStages", List.of("AWSCURRENT"));
    }

    private Map<String, Object> getSecretValue(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        if (s.deletedDate != null) {
            throw new AwsError("InvalidRequestException", "You can't perform this operation on the secret because it"
                    + " was marked for deletion.");
        }
        String version = (String) r.get("VersionId");
        String stage = (String) r.getOrDefault("VersionStage", "AWSCURRENT");
        String id = version != null ? version : "AWSPREVIOUS".equals(stage) ? s.previous : s.current;
        if (id == null || !s.versions.containsKey(id)) {
            throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value"
                    + " for staging label: " + stage);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ARN", s.arn);
        out.put("Name", s.name);
        out.put("VersionId", id);
        out.put("SecretString", s.versions.get(id));
        out.put("VersionStages", List.of(id.equals(s.current) ? "AWSCURRENT" : "AWSPREVIOUS"));
        out.put("CreatedDate", Instant.now().getEpochSecond());
        return out;
    }

    private Map<String, Object> describeSecret(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ARN", s.arn);
        out.put("Name", s.name);
        if (s.description != null) {
            out.put("Description", s.description);
        }
        if (s.kmsKeyId != null) {
            out.put("KmsKeyId", s.kmsKeyId);
        }
        out.put("Tags", s.tags.entrySet().stream().map(t -> Map.of("Key", t.getKey(), "Value", t.getValue())).toList());
        out.put("VersionIdsToStages", stages(s));
        out.put("CreatedDate", s.createdDate.getEpochSecond());
        out.put("LastChangedDate", s.lastChangedDate.getEpochSecond());
        if (s.deletedDate != null) {
            out.put("DeletedDate", s.deletedDate.getEpochSecond());
        }
        return out;
    }

    private static Map<String, Object> stages(Secret s) {
        Map<String, Object> stages = new LinkedHashMap<>();
        if (s.current != null) {
            stages.put(s.current, List.of("AWSCURRENT"));
        }
        if (s.previous != null) {
            stages.put(s.previous, List.of("AWSPREVIOUS"));
        }
        return stages;
    }

    private Map<String, Object> getResourcePolicy(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ARN", s.arn);
        out.put("Name", s.name);
        if (s.resourcePolicy != null) {
            out.put("ResourcePolicy", s.resourcePolicy);
        }
        return out;
    }

    private Map<String, Object> putResourcePolicy(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        s.resourcePolicy = required(r, "ResourcePolicy");
        return Map.of("ARN", s.arn, "Name", s.name);
    }

    private Map<String, Object> deleteResourcePolicy(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        s.resourcePolicy = null;
        return Map.of("ARN", s.arn, "Name", s.name);
    }

    /**
     * Only the two stages the broker uses. As AWS documents: moving a label that another version
     * holds needs RemoveFromVersionId naming that version, and when AWSCURRENT moves, AWSPREVIOUS
     * moves to the version it left.
     */
    private Map<String, Object> updateSecretVersionStage(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        requireNotDeleted(s);
        String stage = required(r, "VersionStage");
        String from = (String) r.get("RemoveFromVersionId");
        String to = (String) r.get("MoveToVersionId");
        if (!"AWSCURRENT".equals(stage)) {
            throw new AwsError("InvalidParameterException", "this fake moves only AWSCURRENT");
        }
        if (to != null && !s.versions.containsKey(to)) {
            throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret version.");
        }
        if (to != null && !to.equals(s.current) && !java.util.Objects.equals(from, s.current)) {
            throw new AwsError("InvalidParameterException", "The staging label AWSCURRENT is currently attached to"
                    + " version " + s.current + ", so you must explicitly reference that version in"
                    + " RemoveFromVersionId.");
        }
        if (to != null && !to.equals(s.current)) {
            s.previous = s.current;
            s.current = to;
            s.lastChangedDate = Instant.now();
        }
        return Map.of("ARN", s.arn, "Name", s.name);
    }

    /** Filters {@code name} (prefix) and {@code tag-key} (exact), ANDed; pages of MaxResults. */
    private Map<String, Object> listSecrets(Map<String, Object> r) {
        List<Secret> all = new ArrayList<>(byName.values());
        all.sort(java.util.Comparator.comparing(x -> x.name));
        for (Map<String, Object> filter : list(r.get("Filters"))) {
            String key = (String) filter.get("Key");
            @SuppressWarnings("unchecked")
            List<String> values = (List<String>) filter.get("Values");
            all.removeIf(x -> switch (key) {
                case "name" -> values.stream().noneMatch(x.name::startsWith);
                case "tag-key" -> values.stream().noneMatch(x.tags::containsKey);
                default -> throw new AwsError("InvalidParameterException", "this fake filters only by name and tag-key");
            });
        }
        if (!Boolean.TRUE.equals(r.get("IncludePlannedDeletion"))) {
            all.removeIf(x -> x.deletedDate != null);
        }
        int max = r.get("MaxResults") instanceof Number n ? n.intValue() : 100;
        int from = r.get("NextToken") instanceof String t ? Integer.parseInt(t) : 0;
        List<Map<String, Object>> page = new ArrayList<>();
        for (Secret x : all.subList(Math.min(from, all.size()), Math.min(from + max, all.size()))) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("ARN", x.arn);
            entry.put("Name", x.name);
            if (x.kmsKeyId != null) {
                entry.put("KmsKeyId", x.kmsKeyId);
            }
            entry.put("Tags", x.tags.entrySet().stream().map(t -> Map.of("Key", t.getKey(), "Value", t.getValue())).toList());
            entry.put("SecretVersionsToStages", stages(x));
            entry.put("CreatedDate", x.createdDate.getEpochSecond());
            entry.put("LastChangedDate", x.lastChangedDate.getEpochSecond());
            page.add(entry);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("SecretList", page);
        if (from + max < all.size()) {
            out.put("NextToken", String.valueOf(from + max));
        }
        return out;
    }

    private Map<String, Object> deleteSecret(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        boolean force = Boolean.TRUE.equals(r.get("ForceDeleteWithoutRecovery"));
        Object window = r.get("RecoveryWindowInDays");
        if (force && window != null) {
            throw new AwsError("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction"
                    + " with RecoveryWindowInDays.");
        }
        if (s.deletedDate != null && !force) {
            throw new AwsError("InvalidRequestException", "You can't delete secret " + s.name
                    + " that is already scheduled for deletion.");
        }
        Instant now = Instant.now();
        if (force) {
            byName.remove(s.name);
            if (forceDeleteReleaseMillis > 0) {
                reservedUntil.put(s.name, now.plusMillis(forceDeleteReleaseMillis));
            }
            return Map.of("ARN", s.arn, "Name", s.name, "DeletionDate", now.getEpochSecond());
        }
        int days = window == null ? 30 : ((Number) window).intValue();
        if (days < 7 || days > 30) {
            throw new AwsError("InvalidParameterException", "RecoveryWindowInDays must be between 7 and 30.");
        }
        s.deletedDate = now;
        s.deletionDate = now.plusSeconds(days * 86400L);
        return Map.of("ARN", s.arn, "Name", s.name, "DeletionDate", s.deletionDate.getEpochSecond());
    }

    private Map<String, Object> tagResource(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        checkTags(list(r.get("Tags")));
        for (Map<String, Object> tag : list(r.get("Tags"))) {
            s.tags.put((String) tag.get("Key"), (String) tag.get("Value"));
        }
        return Map.of();
    }

    private Map<String, Object> untagResource(Map<String, Object> r) {
        Secret s = find(required(r, "SecretId"));
        Object keys = r.get("TagKeys");
        if (keys instanceof List<?> l) {
            l.forEach(s.tags::remove);
        }
        return Map.of();
    }

    /** By name or by ARN, as AWS accepts either. */
    private Secret find(String id) {
        Secret s = byName.get(id);
        if (s == null) {
            s = byName.values().stream().filter(x -> x.arn.equals(id)).findFirst().orElse(null);
        }
        if (s == null) {
            throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
        }
        return s;
    }

    private static void requireNotDeleted(Secret s) {
        if (s.deletedDate != null) {
            throw new AwsError("InvalidRequestException", "You can't perform this operation on the secret because it"
                    + " was marked for deletion.");
        }
    }

    /**
     * CreateSecret's Name: 1 to 512 characters of ASCII letters, digits and /_+=.@- (API reference,
     * CreateSecret). AWS answers a length violation with a ValidationException.
     */
    private static void checkName(String name) {
        if (name.length() > 512) {
            throw new AwsError("ValidationException", "1 validation error detected: Value at 'name' failed to satisfy"
                    + " constraint: Member must have length less than or equal to 512");
        }
        if (!name.matches("[A-Za-z0-9/_+=.@-]+")) {
            throw new AwsError("InvalidParameterException", "Invalid name. Must be a valid name containing"
                    + " alphanumeric characters, or any of the following: -/_+=.@!");
        }
    }

    /** Tag: Key 1 to 128 characters, Value 0 to 256 (API reference, Tag). */
    private static void checkTags(List<Map<String, Object>> tags) {
        for (int i = 0; i < tags.size(); i++) {
            String key = (String) tags.get(i).get("Key");
            String value = (String) tags.get(i).get("Value");
            if (key == null || key.isEmpty() || key.length() > 128) {
                throw new AwsError("ValidationException", "1 validation error detected: Value at 'tags." + (i + 1)
                        + ".member.key' failed to satisfy constraint: Member must have length between 1 and 128");
            }
            if (value != null && value.length() > 256) {
                throw new AwsError("ValidationException", "1 validation error detected: Value at 'tags." + (i + 1)
                        + ".member.value' failed to satisfy constraint: Member must have length less than or equal to 256");
            }
        }
    }

    private static String tokenOf(Map<String, Object> r) {
        Object token = r.get("ClientRequestToken");
        if (token == null) {
            return UUID.randomUUID().toString();
        }
        String t = (String) token;
        if (t.length() < 32 || t.length() > 64) {
            throw new AwsError("InvalidParameterException", "ClientRequestToken must be 32 to 64 characters.");
        }
        return t;
    }

    private static String required(Map<String, Object> r, String key) {
        Object v = r.get(key);
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new AwsError("InvalidParameterException", key + " is required.");
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return o instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private byte[] error(String type, String message) throws IOException {
        return json.writeValueAsBytes(Map.of("__type", type, "message", message));
    }

    /** Answers a connection the client may have closed already. */
    private static void quietly(HttpExchange exchange, int status, byte[] body) {
        try {
            send(exchange, status, body);
        } catch (IOException ignored) {
            // the client gave up on this call
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }
}
