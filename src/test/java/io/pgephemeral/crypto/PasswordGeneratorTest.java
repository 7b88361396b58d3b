package io.pgephemeral.crypto;

import org.junit.jupiter.api.Test;

import java.security.DrbgParameters;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

    /**
     * Every character equally likely: a chi-square test over 256,000 characters from a seeded
     * random source, so the sample is the same on every run. Mapping all 256 byte values with
     * {@code % 62} would favour the first eight characters by a quarter, a chi-square near 1,700.
     */
    @Test
    void charactersAreUniformlyDistributed() {
        PasswordGenerator seeded = new PasswordGenerator(new SeededEntropy(42));
        int[] counts = new int[PasswordGenerator.ALPHABET.length()];
        int total = 0;
        for (int i = 0; i < 2000; i++) {
            for (char c : seeded.generate(128).toCharArray()) {
                counts[PasswordGenerator.ALPHABET.indexOf(c)]++;
                total++;
            }
        }
        double expected = (double) total / counts.length;
        double chiSquare = 0;
        for (int count : counts) {
            chiSquare += (count - expected) * (count - expected) / expected;
        }
        // 61 degrees of freedom: 120 is exceeded by chance with probability below one in a million.
        assertTrue(chiSquare < 120, "chi-square " + chiSquare);
    }

    /** A reproducible stand-in for the DRBG, which notes what each call asked of it. */
    static final class SeededEntropy extends java.security.SecureRandom {
        private final java.util.Random random;
        final List<SecureRandomParameters> asked = new ArrayList<>();

        SeededEntropy(long seed) {
            this.random = new java.util.Random(seed);
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            throw new AssertionError("a draw without parameters may skip prediction resistance");
        }

        @Override
        public synchronized void nextBytes(byte[] bytes, SecureRandomParameters params) {
            asked.add(params);
            random.nextBytes(bytes);
        }

        @Override
        public synchronized void reseed(SecureRandomParameters params) {
            asked.add(params);
        }
    }

    /**
     * Every draw (passwords, salts, name suffixes) asks the DRBG for prediction resistance at full
     * strength, and a SnapStart restore's reseed asks for fresh entropy too: no output depends only
     * on state that a snapshot may have copied.
     */
    @Test
    void everyDrawAndReseedAsksForFreshEntropy() {
        SeededEntropy drbg = new SeededEntropy(7);
        PasswordGenerator g = new PasswordGenerator(drbg);
        g.generate(32);
        g.randomBytes(16);
        g.reseed();
        assertEquals(3, drbg.asked.size());
        for (SecureRandomParameters p : drbg.asked.subList(0, 2)) {
            DrbgParameters.NextBytes draw = assertInstanceOf(DrbgParameters.NextBytes.class, p);
            assertTrue(draw.getPredictionResistance());
            assertEquals(256, draw.getStrength());
        }
        assertTrue(assertInstanceOf(DrbgParameters.Reseed.class, drbg.asked.get(2)).getPredictionResistance());
    }

    @Test
    void theDefaultGeneratorIsTheJdksDrbgAtFullStrengthWithPredictionResistance() throws Exception {
        java.lang.reflect.Field f = PasswordGenerator.class.getDeclaredField("drbg");
        f.setAccessible(true);
        SecureRandom drbg = (SecureRandom) f.get(new PasswordGenerator());
        DrbgParameters.Instantiation p = assertInstanceOf(DrbgParameters.Instantiation.class, drbg.getParameters());
        assertEquals(DrbgParameters.Capability.PR_AND_RESEED, p.getCapability());
        assertEquals(256, p.getStrength());
        assertEquals("DRBG", drbg.getAlgorithm());
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
