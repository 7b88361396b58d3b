package io.pgephemeral.broker;

/**
 * A failure whose message is fit to show to the people running a Sym flow: one line, no stack
 * trace, no secret. Anything else that escapes is reported as an internal error with a reference.
 */
public class BrokerException extends RuntimeException {

    public BrokerException(String message) {
        super(message);
    }

    public BrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
