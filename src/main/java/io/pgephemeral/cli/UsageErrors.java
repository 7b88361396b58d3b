package io.pgephemeral.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;

/**
 * A command line picocli could not parse, answered in one line on stderr that says what was wrong
 * and where to look, instead of picocli's message, suggestions and the whole usage text.
 * Subcommands are not suggested by spelling: {@code escalate} is closer to {@code migrate} than to
 * anything a person typing it wants.
 */
final class UsageErrors {

    /** Words of Sym's events that people try as commands; all of them are events for {@code invoke}. */
    private static final Set<String> EVENT_TYPES = Set.of("escalate", "deescalate");

    private UsageErrors() {
    }

    static int handle(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(line(e));
        err.flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    static String line(ParameterException e) {
        CommandLine command = e.getCommandLine();
        String path = command.getCommandSpec().qualifiedName();
        String help = "see '" + path + " --help'";
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            if (!first.startsWith("-") && !command.getSubcommands().isEmpty()) {
                // Hidden commands (the demo's notice in the jar) stay out of the list, as out of --help.
                String commands = command.getSubcommands().entrySet().stream()
                        .filter(sub -> !sub.getValue().getCommandSpec().usageMessage().hidden())
                        .map(java.util.Map.Entry::getKey).collect(java.util.stream.Collectors.joining(", "));
                String hint = EVENT_TYPES.contains(first.toLowerCase(java.util.Locale.ROOT))
                        ? " (a Sym " + first + " event is run with: " + root(command) + " invoke EVENT.json)" : "";
                return path + ": '" + first + "' is not a command" + hint + "; the commands are " + commands
                        + " (" + help + ")";
            }
            List<String> suggestions = unmatched.getSuggestions();
            if (first.startsWith("-") && !suggestions.isEmpty()) {
                return path + ": unknown option '" + first + "'; did you mean " + String.join(" or ", suggestions)
                        + "? (" + help + ")";
            }
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return path + ": " + message.lines().findFirst().orElse(message).strip() + " (" + help + ")";
    }

    private static String root(CommandLine command) {
        CommandLine c = command;
        while (c.getParent() != null) {
            c = c.getParent();
        }
        return c.getCommandName();
    }
}
