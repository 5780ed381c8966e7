package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one entry of the command table: adding a subcommand is adding an entry.
type command struct {
	// name is the words that select the command ("token", "accounts list").
	name string
	// summary is the one-line description shown by help.
	summary string
	// run runs the command with the arguments after its name.
	run func(ctx context.Context, e *env, args []string) int
}

// commands is the command table, in the order help lists it.
var commands = []command{
	{"demo", "run every flow against a built-in fake provider and print a transcript", runDemo},
	{"fake-idp", "serve the fake OpenID provider on loopback until interrupted", runFakeIdP},
	{"login", "sign in with the authorization code flow and PKCE on a loopback redirect", runLogin},
	{"ropc", "sign in with a username and password (resource owner password credentials)", runROPC},
	{"refresh", "redeem a refresh token obtained elsewhere and cache the result", runRefresh},
	{"token", "print a token from the cache, refreshed silently when needed", runToken},
	{"accounts list", "list the accounts in the token cache", runAccountsList},
	{"accounts remove", "remove an account and its tokens from the token cache", runAccountsRemove},
	{"cache import", "import an MSAL token cache (the Azure CLI's, say) into the token cache", runCacheImport},
	{"cache export", "write the token cache's partition as an MSAL token cache document", runCacheExport},
	{"version", "print the version", runVersion},
}

// Exit codes, documented in docs/cli.md.
const (
	exitOK          = 0
	exitFailure     = 1 // anything else
	exitUsage       = 2 // bad flags, arguments or configuration
	exitInteraction = 3 // the user must sign in interactively
	exitRefused     = 4 // the provider refused the request
	exitUnavailable = 5 // the provider is unreachable or throttling
)

// execute dispatches args to the command they name.
func execute(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		printHelp(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		printHelp(e.stdout)
		return exitOK
	}
	cmd, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(e.stderr, "hexauth: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printHelp(e.stderr)
		return exitUsage
	}
	return cmd.run(ctx, e, rest)
}

// lookup finds the command named by the longest prefix of args.
func lookup(args []string) (command, []string, bool) {
	var best command
	bestLen := 0
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(words) > len(args) || len(words) <= bestLen {
			continue
		}
		if strings.Join(args[:len(words)], " ") == c.name {
			best, bestLen = c, len(words)
		}
	}
	return best, args[bestLen:], bestLen > 0
}

// printHelp lists the commands.
func printHelp(w io.Writer) {
	fmt.Fprint(w, "Usage: hexauth <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'hexauth <command> -h' for a command's flags. Exit codes: 0 success, 2 usage,\n"+
		"3 interaction required, 4 refused by the provider, 5 provider unreachable or\n"+
		"throttled, 1 anything else. See docs/cli.md.\n")
}

// newFlagSet returns a flag set for the command name whose usage goes to e.stderr.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("hexauth "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hexauth %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. ok is false when the command must end with code:
// exitOK for -h (the usage went to e.stdout), exitUsage for bad flags or stray
// arguments.
func parseFlags(e *env, fs *flag.FlagSet, args []string) (code int, ok bool) {
	return parseArgs(e, fs, args, nil)
}

// operand is the one positional argument of a command that takes one (cache import's
// FILE).
type operand struct {
	name  string // as the synopsis spells it: "FILE"
	value string // set by parseArgs
}

// parseArgs is parseFlags for a command that takes op (nil: none). Flags may come
// before and after the operand, as users write them (hexauth cache import f.json
// --cache x); "-" is an operand, not a flag.
func parseArgs(e *env, fs *flag.FlagSet, args []string, op *operand) (code int, ok bool) {
	usage := fs.Usage
	fs.Usage = func() {} // printed below, once, to the right stream
	defer func() { fs.Usage = usage }()
	var operands []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.stdout)
			usage()
			return exitOK, false
		}
		if err != nil { // the flag package printed the error
			usage()
			return exitUsage, false
		}
		if fs.NArg() == 0 {
			break
		}
		if op == nil {
			fmt.Fprintf(e.stderr, "hexauth: unexpected argument %q (every input is a flag)\n", fs.Arg(0))
			return exitUsage, false
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if op == nil {
		return exitOK, true
	}
	switch len(operands) {
	case 0:
		fmt.Fprintf(e.stderr, "hexauth: missing %s\n", op.name)
		usage()
		return exitUsage, false
	case 1:
		op.value = operands[0]
		return exitOK, true
	}
	fmt.Fprintf(e.stderr, "hexauth: unexpected argument %q (one %s only)\n", operands[1], op.name)
	return exitUsage, false
}
