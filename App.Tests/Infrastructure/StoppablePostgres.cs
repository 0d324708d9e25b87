using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AdminPortal.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of one test's own, which the test may stop (as a crash would: <c>pg_ctl stop -m immediate</c>)
/// and start again on the same port and data. Never stop the shared cluster that <see cref="TestDatabase"/> uses:
/// every other test running at the same time would fail.
/// </summary>
/// <remarks>
/// The recipe of scripts/private-postgres.sh: Debian's initdb in a temporary folder, as the postgres user when the
/// tests run as root (initdb refuses root), listening on 127.0.0.1 only, on a free port.
/// </remarks>
public sealed class StoppablePostgres : IAsyncDisposable
{
    private readonly string binFolder;
    private readonly string folder;

    private StoppablePostgres(string binFolder, string folder, int port)
    {
        this.binFolder = binFolder;
        this.folder = folder;
        Port = port;
    }

    public int Port { get; }

    public bool IsRunning { get; private set; }

    /// <summary>The cluster's own database "postgres"; <see cref="CreateDatabaseAsync"/> makes one per test.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public static async Task<StoppablePostgres> StartAsync()
    {
        string initdb = Directory.GetFiles("/usr/lib/postgresql", "initdb", SearchOption.AllDirectories)
            .OrderBy(path => path, StringComparer.Ordinal).LastOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); ./test.sh installs it.");
        string folder = Directory.CreateTempSubdirectory("adminportal-stoppable-pg-").FullName;
        var cluster = new StoppablePostgres(Path.GetDirectoryName(initdb)!, folder, FreePort());
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres:", folder]);
        }

        // --no-locale: a LANG naming an ungenerated locale would make initdb fail on a fresh machine.
        await cluster.RunAsPostgresAsync("initdb", ["-D", Path.Combine(folder, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--no-locale"]);
        await cluster.StartAgainAsync();
        return cluster;
    }

    /// <summary>A new, empty database in this cluster; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name = "portal")
    {
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Stops the server the way a crash or a pulled cable would look to the portal: connections drop at once.</summary>
    public async Task StopAsync()
    {
        await RunAsPostgresAsync("pg_ctl", ["-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop"]);
        IsRunning = false;
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the (stopped) server again, on the same port, with the same data.</summary>
    public async Task StartAgainAsync()
    {
        // synchronous_commit stays on: with it off, an immediate stop loses the last commits (a session started just
        // before the "crash" would vanish), which no production server configured for durability does.
        await RunAsPostgresAsync("pg_ctl",
        [
            "-D", Path.Combine(folder, "data"), "-l", Path.Combine(folder, "server.log"), "-w", "start",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {folder} -c max_connections=100 -c fsync=off -c full_page_writes=off",
        ]);
        IsRunning = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
                // Already gone: the folder is removed below either way.
            }
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private Task RunAsPostgresAsync(string program, string[] arguments)
    {
        string path = Path.Combine(binFolder, program);
        return Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
