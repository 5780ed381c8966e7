package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes, documented in docs/cli.md.
const (
	exitOK          = 0
	exitFailure     = 1   // anything else
	exitUsage       = 2   // bad flags, arguments or configuration
	exitInteraction = 3   // the user must sign in interactively
	exitRefused     = 4   // the provider refused the request
	exitUnavailable = 5   // the provider is unreachable or throttling
	exitInterrupted = 130 // SIGINT, as shells report it (128 + 2)
)

// Help groups, as gh has them: what a new user looks for first comes first.
const (
	groupSignIn = "signin"
	groupTokens = "tokens"
	groupCache  = "cache"
	groupDev    = "dev"
)

// exitCodeError ends a command whose outcome is already reported: execute only
// returns its code.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// codeErr turns a command's exit code into RunE's error (nil for success).
func codeErr(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitCodeError{code: code}
}

// runE adapts a command body that returns an exit code to cobra.
func runE(run func(args []string) int) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error { return codeErr(run(args)) }
}

// newRootCmd builds the command tree. Commands write through e, never os.Stdout;
// ctx ends when the process is interrupted.
func newRootCmd(ctx context.Context, e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "hexauth",
		Short: "OAuth 2.0 / OpenID Connect tokens from the command line",
		Long: "hexauth gets OAuth 2.0 / OpenID Connect tokens from a terminal or a script with the\n" +
			"hexauth engine, and shows every flow offline with a built-in fake provider.",
		Example: "  hexauth demo\n" +
			"  hexauth login --client-id ID --authority https://login.microsoftonline.com/organizations --scopes User.Read\n" +
			"  hexauth token -o json",
		Version:       versionLine(buildVersion()),
		SilenceErrors: true,
		SilenceUsage:  true,
		// No command: the help on stderr, exit 2 (it is a usage mistake).
		RunE: func(c *cobra.Command, args []string) error {
			c.SetOut(e.stderr)
			_ = c.Usage()
			return codeErr(exitUsage)
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print the version") // no -v: people read it as --verbose
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(flagError)
	root.AddGroup(
		&cobra.Group{ID: groupSignIn, Title: "Sign in:"},
		&cobra.Group{ID: groupTokens, Title: "Tokens:"},
		&cobra.Group{ID: groupCache, Title: "The token cache:"},
		&cobra.Group{ID: groupDev, Title: "Trying hexauth out:"},
	)
	root.SetHelpCommandGroupID("")
	root.SetCompletionCommandGroupID("")

	inGroup := func(id string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = id
			root.AddCommand(c)
		}
	}
	inGroup(groupSignIn, newLoginCmd(ctx, e), newROPCCmd(ctx, e), newRefreshCmd(ctx, e), newLogoutCmd(ctx, e))
	inGroup(groupTokens, newTokenCmd(ctx, e))
	inGroup(groupCache,
		newGroupCmd(e, "accounts", "list or remove the accounts in the token cache",
			"  hexauth accounts list\n  hexauth accounts remove --username ada@example.com",
			newAccountsListCmd(ctx, e), newAccountsRemoveCmd(ctx, e)),
		newGroupCmd(e, "cache", "import, export, locate or clear the token cache",
			"  hexauth cache path\n  hexauth cache import ~/.azure/msal_token_cache.json\n  hexauth cache export --file /tmp/tokens.json",
			newCacheImportCmd(ctx, e), newCacheExportCmd(ctx, e), newCachePathCmd(ctx, e), newCacheClearCmd(ctx, e)))
	root.AddCommand(newConfigCmd(ctx, e))
	inGroup(groupDev, newDemoCmd(ctx, e), newFakeIdPCmd(ctx, e))
	root.AddCommand(newVersionCmd(e))
	root.SetHelpCommand(newHelpCmd(e))
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(flagError)
	}
	registerValueCompletions(root)
	return root
}

// newHelpCmd is cobra's help command, except that an unknown topic is a usage error
// (exit 2, two lines) rather than a notice and success.
func newHelpCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use: "help [command]", Short: "help about any command",
		Example: "  hexauth help token\n  hexauth help cache import",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil || target == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				topic := strings.Join(args, " ")
				msg := fmt.Sprintf("no help topic %q\nhexauth: see 'hexauth --help'", topic)
				if s := c.Root().SuggestionsFor(args[0]); len(s) > 0 {
					msg = fmt.Sprintf("no help topic %q\nhexauth: did you mean 'hexauth help %s'?", topic, s[0])
				}
				return &usageError{msg: msg}
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// valueCompletions are the fixed values of flags, for shell completion; completion
// never reads the network, a secret or a prompt.
var valueCompletions = map[string][]cobra.Completion{
	"output":         {"text", "json"},
	"authority-kind": {"entra", "b2c", "adfs", "oidc"},
	"client-auth":    {"client_secret_basic", "client_secret_post", "private_key_jwt"},
	"prompt":         {"login", "consent", "select_account", "none"},
}

// registerValueCompletions registers valueCompletions on every command that has those
// flags, and no file completion for flags whose value is not a file.
func registerValueCompletions(c *cobra.Command) {
	for name, values := range valueCompletions {
		if c.Flags().Lookup(name) != nil {
			_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	for _, sub := range c.Commands() {
		registerValueCompletions(sub)
	}
}

// newGroupCmd returns a command that only groups subs: alone it prints its help on
// stderr and exits 2; with an unknown subcommand it says so.
func newGroupCmd(e *env, name, short, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use: name + " <command>", Short: short, Example: example,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			c.SetOut(e.stderr)
			_ = c.Usage()
			return codeErr(exitUsage)
		},
	}
	c.AddCommand(subs...)
	return c
}

// usageTemplate is cobra's, with one line of usage first (the synopsis of Use) and the
// exit codes at the end of the root's help.
const usageTemplate = `Usage: {{if .HasAvailableSubCommands}}{{.CommandPath}} <command> [flags]{{else}}{{.UseLine}}{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}{{$cmds := .Commands}}{{if eq (len .Groups) 0}}

Commands:{{range $cmds}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{else}}{{range $group := .Groups}}

{{.Title}}{{range $cmds}}{{if (and (eq .GroupID $group.ID) (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if not .AllChildCommandsHaveGroup}}

Other commands:{{range $cmds}}{{if (and (eq .GroupID "") (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Run '{{.CommandPath}} <command> --help' (or '{{.Root.Name}} help <command>') for a command's flags.{{end}}{{if not .HasParent}}
Exit codes: 0 success, 2 usage, 3 interaction required, 4 refused by the provider,
5 provider unreachable or throttled, 130 interrupted, 1 anything else. See docs/cli.md.{{end}}
`

// flagError turns pflag's error into a usage error of two lines: what is wrong (never
// a flag's value: it may be a secret typed as a flag), then a suggestion or where to
// look.
func flagError(c *cobra.Command, err error) error {
	see := fmt.Sprintf("see '%s --help'", c.CommandPath())
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		name := "--" + ne.GetSpecifiedName()
		if ne.GetSpecifiedShortnames() != "" {
			name = "-" + ne.GetSpecifiedName()[:1]
		}
		if src := secretFlagSources(ne.GetSpecifiedName()); src != "" {
			return &usageError{msg: fmt.Sprintf("unknown flag %s: secrets are never read from a flag's value (it would show in ps and shell history)\nhexauth: use %s", name, src)}
		}
		if s := suggestFlag(c.Flags(), ne.GetSpecifiedName()); s != "" {
			return &usageError{msg: fmt.Sprintf("unknown flag %s\nhexauth: did you mean --%s? (%s)", name, s, see)}
		}
		return &usageError{msg: fmt.Sprintf("unknown flag %s\nhexauth: %s", name, see)}
	}
	var ve *pflag.ValueRequiredError
	if errors.As(err, &ve) {
		return &usageError{msg: fmt.Sprintf("flag --%s needs a value\nhexauth: %s", ve.GetFlag().Name, see)}
	}
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		return &usageError{msg: fmt.Sprintf("flag --%s: %v\nhexauth: %s", iv.GetFlag().Name, iv.Unwrap(), see)}
	}
	// Other pflag errors name the flag only ("bad flag syntax: ---x").
	return &usageError{msg: fmt.Sprintf("%v\nhexauth: %s", err, see)}
}

// secretFlagSources names where a secret comes from, for a flag that would carry one
// (--password, --client-secret, --refresh-token); "" for any other name.
func secretFlagSources(name string) string {
	switch name {
	case "password":
		return "--password-file, --password-stdin or HEXAUTH_PASSWORD"
	case "client-secret":
		return "--client-secret-file or HEXAUTH_CLIENT_SECRET"
	case "refresh-token":
		return "--refresh-token-file, --refresh-token-stdin or HEXAUTH_REFRESH_TOKEN"
	}
	return ""
}

// suggestFlag returns the flag of fs closest to name (a prefix, or within an edit
// distance of a third of its length), or "".
func suggestFlag(fs *pflag.FlagSet, name string) string {
	best, bestDist := "", len(name)/3+1
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			if best == "" || bestDist > 0 {
				best, bestDist = f.Name, 0
			}
			return
		}
		if d := editDistance(name, f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// execute runs the command line args and returns the exit code.
func execute(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(ctx, e)
	root.SetArgs(longFlagsWithOneDash(root, args))
	_, err := root.ExecuteC()
	var done *exitCodeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &done):
		return done.code
	}
	// cobra's own errors (an unknown command, a flag error) are usage mistakes.
	msg := err.Error()
	var ue *usageError
	if errors.As(err, &ue) {
		msg = ue.msg
	} else if strings.HasPrefix(msg, "unknown command") {
		msg = unknownCommand(root, args, msg)
	}
	fmt.Fprintf(e.stderr, "hexauth: %s\n", msg)
	return exitUsage
}

// unknownCommand rewords cobra's "unknown command" error in two lines: what was not
// understood, then a suggestion or where to look.
func unknownCommand(root *cobra.Command, args []string, msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	first = strings.Replace(first, ` for "hexauth"`, "", 1)
	parent := root
	if c, _, err := root.Find(args); err == nil && c != nil {
		parent = c
	}
	var typed string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && parent.Name() != a {
			typed = a
			break
		}
	}
	if parent != root && len(args) > 1 {
		typed = args[1]
	}
	if s := parent.SuggestionsFor(typed); len(s) > 0 {
		return fmt.Sprintf("%s\nhexauth: did you mean '%s %s'? (see '%s --help')", first, parent.CommandPath(), s[0], parent.CommandPath())
	}
	return fmt.Sprintf("%s\nhexauth: see '%s --help'", first, parent.CommandPath())
}

// longFlagsWithOneDash rewrites -client-id to --client-id for the flags of the command
// args name, so that the single-dash spelling Go's flag package accepted, and scripts
// use, keeps working. Other arguments are left alone, and nothing after "--".
func longFlagsWithOneDash(root *cobra.Command, args []string) []string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return args
	}
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && c.Flags().Lookup(name) != nil {
			out[i] = "-" + a
		}
	}
	return out
}

// versionLine is the one line of --version and of hexauth version in text mode.
func versionLine(v versionJSON) string {
	line := "hexauth " + v.Version
	if v.Revision != "" {
		line += " (" + v.Revision + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", line, v.Go, runtime.GOOS, runtime.GOARCH)
}

// operand is the one positional argument of a command that takes one (cache import's
// FILE).
type operand struct {
	name  string // as the synopsis spells it: "FILE"
	value string // set by takeOperand
}

// takeOperand checks the positional arguments cobra left: none when op is nil, else
// exactly one, stored in op. ok is false when the command must end with code.
func takeOperand(e *env, args []string, op *operand) (code int, ok bool) {
	if op == nil {
		if len(args) > 0 {
			fmt.Fprintf(e.stderr, "hexauth: unexpected argument %q (every input is a flag)\n", args[0])
			return exitUsage, false
		}
		return exitOK, true
	}
	switch len(args) {
	case 0:
		fmt.Fprintf(e.stderr, "hexauth: missing %s\n", op.name)
		return exitUsage, false
	case 1:
		op.value = args[0]
		return exitOK, true
	}
	fmt.Fprintf(e.stderr, "hexauth: unexpected argument %q (one %s only)\n", args[1], op.name)
	return exitUsage, false
}

// newLeaf returns a command that runs (its RunE is set by the caller) and its flags.
// use is the name and the synopsis ("token --client-id ID ... [flags]").
func newLeaf(use, short, example string) (*cobra.Command, *pflag.FlagSet) {
	c := &cobra.Command{Use: use, Short: short, Example: example}
	c.Flags().SortFlags = false // the order of registration: the required ones first
	return c, c.Flags()
}
