using AdminPortal.App.CommandLine;
using AdminPortal.App.Data;
using AdminPortal.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AdminPortal.Tests.CommandLine;

/// <summary>The built portal, serving, refused by a bad setting or a missing database: one clear line, no stack trace, a non-zero exit.</summary>
public class StartupFailureTests
{
    private static Dictionary<string, string?> Sqlite(string folder) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Database__Provider"] = "Sqlite",
        ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}",
    };

    private static void AssertOneCleanLine(int exitCode, string output, int expectedExit, string expected)
    {
        Assert.True(exitCode == expectedExit, $"exit {exitCode}:\n{output}");
        string line = Assert.Single(output.Split('\n'), l => l.StartsWith("The portal did not start: ", StringComparison.Ordinal));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("Now listening", output);
    }

    [Theory]
    [InlineData("--Sync:BatchSize=0", "Sync:BatchSize is \"0\"; it must be a whole number from 1 to 1000.")]
    [InlineData("--Sync:Interval=soon", "Sync:Interval is \"soon\"; it must be a time from 00:00:00.1 to 01:00:00")]
    [InlineData("--ForwardedHeaders:KnownProxies:0=<script>", "ForwardedHeaders:KnownProxies: \"<script>\" is not an IP address.")]
    [InlineData("--ForwardedHeaders:KnownNetworks:0=10.0.0.0/99", "ForwardedHeaders:KnownNetworks: \"10.0.0.0/99\" is not a CIDR range like 10.0.0.0/8.")]
    public async Task Serve_BadSetting_PrintsOnlyTheMessage_AndExitsSix(string setting, string expected)
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-startup-").FullName;
        try
        {
            var (exitCode, output) = await PortalProcess.RunAsync(Sqlite(folder), "--urls", $"http://127.0.0.1:{PortalProcess.FreePort()}", setting);

            AssertOneCleanLine(exitCode, output, StartupFailure.ExitRefused, expected);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Serve_MissingPostgresDatabase_PrintsOnlyTheMessage_AndExitsFive()
    {
        string name = "startup_" + Guid.NewGuid().ToString("N");
        var connection = new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = name }.ConnectionString;
        var (exitCode, output) = await PortalProcess.RunAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Database__Provider"] = nameof(DatabaseProvider.Postgres),
            ["ConnectionStrings__Portal"] = connection,
        }, "--urls", $"http://127.0.0.1:{PortalProcess.FreePort()}");

        AssertOneCleanLine(exitCode, output, PortalCommandLine.ExitDatabaseMissing, $"the PostgreSQL database \"{name}\" does not exist. Create and migrate it with: dotnet run -- migrate");
    }

    [Fact]
    public void Describe_ABug_KeepsItsStackTrace_WhileRefusalsAndOptionsErrorsAreOneLine()
    {
        Assert.Null(StartupFailure.Describe(new InvalidOperationException("a bug")));
        Assert.Null(StartupFailure.Describe(new NullReferenceException()));
        Assert.Equal(("Sync:BatchSize is \"0\".", StartupFailure.ExitRefused),
            StartupFailure.Describe(new AggregateException(new StartupRefusedException("Sync:BatchSize is \"0\"."))));
        Assert.Equal(StartupFailure.ExitRefused, StartupFailure.Describe(new OptionsValidationException("X", typeof(object), ["X must be set."]))?.ExitCode);
        Assert.Equal(PortalCommandLine.ExitDatabaseMissing, StartupFailure.Describe(new StartupRefusedException("gone", exitCode: PortalCommandLine.ExitDatabaseMissing))?.ExitCode);
    }

    [Fact]
    public void Line_AfterTheHostStarted_SaysStopped_NotDidNotStart()
    {
        Assert.Equal("The portal did not start: the database could not be reached.", StartupFailure.Line("the database could not be reached.", afterStart: false));
        Assert.Equal("The portal stopped: the database could not be reached.", StartupFailure.Line("the database could not be reached.", afterStart: true));
    }
}
