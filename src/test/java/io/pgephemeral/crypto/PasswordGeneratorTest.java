package io.pgephemeral.crypto;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PasswordGeneratorTest {

    private final PasswordGenerator generator = new PasswordGenerator();

    @Test
    void passwordsHaveTheLengthAndAlphabetAskedFor() {
        for (int length : new int[] {16, 32, 128}) {
            String p = generator.generate(length);
            assertEquals(length, p.length());
            assertTrue(p.matches("[A-Za-z0-9]+"), p.length() + " characters of the alphabet");
        }
        assertThrows(IllegalArgumentException.class, () -> generator.generate(8));
        assertThrows(IllegalArgumentException.class, () -> generator.generate(129));
    }

    @Test
    void everyCharacterOfTheAlphabetTurnsUpAndNoPasswordRepeats() {
        Set<String> seen = new HashSet<>();
        Set<Character> characters = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            String p = generator.generate(32);
            assertTrue(seen.add(p));
            p.chars().forEach(c -> characters.add((char) c));
        }
        assertEquals(PasswordGenerator.ALPHABET.length(), characters.size());
    }

    @Test
    void twoGeneratorsDoNotShareAStream() {
        assertTrue(!new PasswordGenerator().generate(32).equals(new PasswordGenerator().generate(32)));
    }

    @Test
    void aPasswordNeverPrintsItself() {
        Password p = new Password(generator.generate(32));
        assertEquals("[redacted]", p.toString());
        assertEquals("[redacted]", String.valueOf(p));
    }
}
