package io.pgephemeral.testing;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.json.JsonTree;

/**
 * A secret value that is not JSON, and whose parser error quotes its password whole: what a test
 * needs to show that a refusal hides the parser's words. Made only if the parser really does quote
 * it, so such a test cannot pass for want of anything to hide.
 */
public record UnparsableSecret(String password, String value) {

    public static UnparsableSecret of(PasswordGenerator generator) {
        String password = "x" + generator.generate(31); // a letter first: the parser quotes the whole token
        String value = "{\"password\": " + password + "}";
        try {
            JsonTree.readObject(value);
        } catch (JsonTree.Malformed e) {
            if (e.getMessage().contains(password)) {
                return new UnparsableSecret(password, value);
            }
            throw new AssertionError("the parser no longer quotes the token: " + e.getMessage());
        }
        throw new AssertionError("the value was read as JSON");
    }
}
