package io.pgephemeral.broker;

/** The request itself is unacceptable (bad input, unknown target); nothing was changed. */
public class RequestRefused extends BrokerException {

    public RequestRefused(String message) {
        super(message);
    }
}
