using System.CommandLine;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Schema;

namespace AdminPortal.App.CommandLine;

/// <summary>
/// The portal's command line (System.CommandLine): no verb serves the portal; <c>migrate</c>, <c>seed</c> and
/// <c>schema status|drift|adopt</c> work on the configured database and exit. The host's own arguments (<c>--urls</c>,
/// <c>--environment</c>, <c>--contentRoot</c>) and configuration overrides (<c>Key=Value</c>, <c>--Key=Value</c>,
/// <c>--Section:Key Value</c>) reach the web host with their values untouched, under any verb.
/// </summary>
/// <remarks>Exit codes: 0 fine; 1 the database failed (one line on stderr); 2 usage; 3 migrations pending; 4 drift;
/// 5 the PostgreSQL database does not exist and could not be created.</remarks>
public sealed class PortalCommandLine
{
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitDatabaseMissing = 5;

    private static readonly string[] QuietCategories = ["Microsoft.EntityFrameworkCore.Database.Connection", "Microsoft.EntityFrameworkCore.Query"];

    private static readonly string[] HostOptionNames = ["--urls", "--environment", "--contentRoot"];

    private readonly ParseResult parsed;
    private readonly List<string> hostArguments;
    private readonly AppServices appServices;

    private PortalCommandLine(ParseResult parsed, AppServices appServices, List<string> hostArguments, int? exitCode)
    {
        this.parsed = parsed;
        this.appServices = appServices;
        this.hostArguments = hostArguments;
        ExitCode = exitCode;
    }

    /// <summary>Set when the command line is already answered (help, or a usage error): exit with it, build nothing.</summary>
    public int? ExitCode { get; }

    /// <summary>What the web host reads: configuration overrides and host options, as <c>--Key=Value</c>.</summary>
    public string[] HostArguments => [.. hostArguments];

    public static PortalCommandLine Parse(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var appServices = new AppServices();
        var root = BuildCommands(appServices, out var hostOptions);
        var knownOptions = root.Subcommands.SelectMany(AllOptions).Concat(root.Options).SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Configuration overrides are the host's business; System.CommandLine only sees verbs and their options.
        var hostArguments = new List<string>();
        var remaining = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (ConfigurationOverride(args, i, knownOptions) is ({ } key, { } value, int used))
            {
                hostArguments.Add($"--{key}={value}");
                i += used - 1;
            }
            else
            {
                remaining.Add(args[i]);
            }
        }

        var parsed = root.Parse(remaining);
        if (parsed.Errors.Count == 0 && parsed.Action is { } action && action != parsed.CommandResult.Command.Action)
        {
            // --help or --version: System.CommandLine answers them itself.
            int answered = parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
            return new PortalCommandLine(parsed, appServices, hostArguments, answered);
        }

        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                error.WriteLine(parseError.Message);
            }

            error.WriteLine("Run with --help to see the commands and options.");
            return new PortalCommandLine(parsed, appServices, hostArguments, ExitUsage);
        }

        foreach (var option in hostOptions)
        {
            if (parsed.GetValue(option) is { Length: > 0 } value)
            {
                hostArguments.Add($"{option.Name}={value}");
            }
        }

        if (parsed.CommandResult.Command is not RootCommand)
        {
            // A verb reports a database failure in one line of its own; EF would also log each one with its stack trace.
            // First, so that the operator's own Logging:LogLevel arguments still win.
            hostArguments.InsertRange(0, QuietCategories.Select(category => $"--Logging:LogLevel:{category}=None"));
        }

        return new PortalCommandLine(parsed, appServices, hostArguments, null);
    }

    /// <summary>Runs the verb against the built app's services. Null: no verb, serve the portal.</summary>
    public async Task<int?> RunVerbAsync(IServiceProvider services)
    {
        if (parsed.CommandResult.Command is RootCommand)
        {
            return null;
        }

        appServices.Services = services;
        return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    private static IEnumerable<Option> AllOptions(Command command) => command.Options.Concat(command.Subcommands.SelectMany(AllOptions));

    /// <summary>
    /// <c>Key=Value</c>, <c>--Key=Value</c> or <c>/Key=Value</c> (unless it is one of the verbs' own options), and
    /// <c>--Section:Key Value</c>: the forms ASP.NET Core's command-line configuration reads. A bare <c>--name</c>
    /// without a colon is left to the parser, so a mistyped option is an error rather than a silently ignored setting.
    /// </summary>
    private static (string? Key, string? Value, int Used) ConfigurationOverride(string[] args, int index, HashSet<string> knownOptions)
    {
        string arg = args[index];
        string bare = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg.StartsWith('/') ? arg[1..] : arg;
        int equals = bare.IndexOf('=');
        if (equals > 0)
        {
            string key = bare[..equals];
            bool isVerbOption = arg.StartsWith('-') && knownOptions.Contains("--" + key) && !HostOptionNames.Contains("--" + key, StringComparer.OrdinalIgnoreCase);
            return isVerbOption ? default : (key, bare[(equals + 1)..], 1);
        }

        if (arg.StartsWith("--", StringComparison.Ordinal) && bare.Contains(':') && index + 1 < args.Length)
        {
            return (bare, args[index + 1], 2);
        }

        return default;
    }

    private static RootCommand BuildCommands(AppServices app, out Option<string>[] hostOptions)
    {
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, e.g. http://127.0.0.1:5080 (several: separated by ;)", Recursive = true };
        var environment = new Option<string>("--environment") { Description = "Hosting environment: Development, Staging, Production …", Recursive = true };
        var contentRoot = new Option<string>("--contentRoot") { Description = "Content root (appsettings*.json, wwwroot); default: the current folder", Recursive = true };
        hostOptions = [urls, environment, contentRoot];

        var root = new RootCommand(
            "AdminPortal. Without a command it serves the portal.\n\n" +
            "Any configuration setting can be given as Key=Value, --Key=Value or --Section:Key Value (e.g. Database:Provider=Postgres\n" +
            "or --ConnectionStrings:Portal \"Host=…\"), as well as through appsettings.json and environment variables (Section__Key).\n\n" +
            "Exit codes: 0 fine, 1 the database failed, 2 usage, 3 migrations pending, 4 drift, 5 the PostgreSQL database is missing\n" +
            "and could not be created.")
        {
            urls, environment, contentRoot,
        };
        root.SetAction(_ => 0); // serving happens in Program.cs, once the app is built

        var seedDemoData = new Option<bool>("--seed-demo-data") { Description = "Then fill an empty database with demo data" };
        var force = new Option<bool>("--force") { Description = "Migrate despite drift or tables without history (take a backup first)" };
        var migrate = new Command("migrate", "Apply pending migrations to the configured database, creating a missing PostgreSQL database when the role may") { seedDemoData, force };
        root.Subcommands.Add(migrate);

        var users = new Option<int>("--users") { Description = "Then generate N extra users (load and benchmark work)" };
        users.Validators.Add(result =>
        {
            if (result.Tokens is [{ } token] && int.TryParse(token.Value, out int value) && value < 0)
            {
                result.AddError("--users must be 0 or more.");
            }
        });
        var seed = new Command("seed", "Fill an empty database with demo data (migrating the embedded database first)") { users };
        root.Subcommands.Add(seed);

        var json = new Option<bool>("--json") { Description = "Machine-readable output", Recursive = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be recorded, change nothing" };
        var status = new Command("status", "Applied and pending migrations (exit 3 when some are pending)");
        var drift = new Command("drift", "Compare the live schema with the migrations' model (exit 4 on drift)");
        var adopt = new Command("adopt", "Record the migrations as applied on a database whose schema already matches (a baseline)") { dryRun };
        var scriptOutput = new Option<FileInfo>("--output", "-o") { Description = "Write the script to this file instead of the console" };
        var cockroachSql = new Command("cockroach-sql", "Print every migration as one plain script for CockroachDB (Migrations/cockroach.sql); no database needed") { scriptOutput };
        var schema = new Command("schema", "Inspect or baseline the database schema") { json, status, drift, adopt, cockroachSql };
        root.Subcommands.Add(schema);

        migrate.SetAction((result, token) => RunAsync(app, "migrate", services => MigrateAsync(services, result.GetValue(force), result.GetValue(seedDemoData), token)));
        seed.SetAction((result, token) => RunAsync(app, "seed", services => SeedAsync(services, result.GetValue(users), token)));
        status.SetAction((result, _) => RunAsync(app, "schema status", services => SchemaCommandLine.StatusAsync(services, result.GetValue(json), Console.Out)));
        drift.SetAction((result, _) => RunAsync(app, "schema drift", services => SchemaCommandLine.DriftAsync(services, result.GetValue(json), Console.Out)));
        adopt.SetAction((result, _) => RunAsync(app, "schema adopt", services => SchemaCommandLine.AdoptAsync(services, result.GetValue(json), result.GetValue(dryRun), Console.Out)));
        cockroachSql.SetAction(async (result, token) =>
        {
            string script = CockroachDb.GenerateScript();
            if (result.GetValue(scriptOutput) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, script, token);
                return 0;
            }

            await Console.Out.WriteAsync(script);
            return 0;
        });
        return root;
    }

    /// <summary>Runs a verb in a scope of the built app, and turns a database failure into one line and an exit code.</summary>
    private static async Task<int> RunAsync(AppServices app, string verb, Func<IServiceProvider, Task<int>> action)
    {
        await using var scope = (app.Services ?? throw new InvalidOperationException("RunVerbAsync sets the services first.")).CreateAsyncScope();
        try
        {
            return await action(scope.ServiceProvider);
        }
        catch (Exception exception) when (DatabaseCommandFailure.Describe(exception) is { } failure)
        {
            await Console.Error.WriteLineAsync($"{verb} failed: {failure.Message}");
            return failure.DatabaseMissing ? ExitDatabaseMissing : ExitFailed;
        }
    }

    private static async Task<int> MigrateAsync(IServiceProvider services, bool force, bool seedDemoData, CancellationToken token)
    {
        var commands = services.GetRequiredService<DatabaseCommands>();
        if (await commands.EnsureDatabaseExistsAsync(token) is { } cannotCreate)
        {
            await Console.Error.WriteLineAsync($"migrate failed: {cannotCreate}");
            return ExitDatabaseMissing;
        }

        try
        {
            await commands.MigrateAsync(token, force);
        }
        catch (MigrationRefusedException refused)
        {
            await Console.Error.WriteLineAsync($"migrate refused: {refused.Message}\nRun with --force to migrate anyway.");
            return SchemaService.ExitDrift;
        }

        if (DataProtectionKeyContext.EnsureKeyInUse(services, services.GetRequiredService<TimeProvider>()))
        {
            await Console.Out.WriteLineAsync("Created the first Data Protection key: start every instance now.");
        }

        if (seedDemoData)
        {
            await commands.SeedAsync(token);
        }

        return 0;
    }

    private static async Task<int> SeedAsync(IServiceProvider services, int users, CancellationToken token)
    {
        var seeder = services.GetRequiredService<DatabaseCommands>();
        var status = await services.GetRequiredService<SchemaService>().GetStatusAsync(token);
        if (!status.UpToDate)
        {
            if (!services.GetRequiredService<DatabaseOptions>().ShouldMigrateOnStartup)
            {
                await Console.Error.WriteLineAsync($"seed refused: {status.Pending.Count} migration(s) are pending. Run: dotnet run -- migrate");
                return SchemaService.ExitPending;
            }

            await seeder.MigrateAsync(token);
        }

        await seeder.SeedAsync(token);
        if (users > 0)
        {
            await services.GetRequiredService<Features.Users.UserDataGenerator>().GenerateAsync(users, Console.Out);
        }

        return 0;
    }

    /// <summary>The verbs' actions are bound before the app (and its services) exist; this is filled in between.</summary>
    private sealed class AppServices
    {
        public IServiceProvider? Services { get; set; }
    }
}
