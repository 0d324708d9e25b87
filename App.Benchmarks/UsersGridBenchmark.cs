using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdminPortal.Benchmarks;

/// <summary>
/// The users grid at several depths, for a customer admin: the portal's data call (page query + capped count, each
/// also timed alone), a page turn in one circuit (the capped count remembered from the turn before, so the page query
/// alone), the raw keyset SQL of the same page (the same columns, join and EXISTS as the portal's query) and the raw
/// capped count, and OFFSET + exact count as the baseline.
/// </summary>
public static class UsersGridBenchmark
{
    private const int PageSize = 25;

    /// <summary>Rounds of the interleaved table (each column once a round): more than <see cref="Measure.Rounds"/>, as they are cheap.</summary>
    private const int InterleavedRounds = 21;

    /// <param name="unprepared">The same portal services with one more connection-string setting,
    /// <paramref name="setting"/> (by default <c>Max Auto Prepare=0</c>, preparation off), timed in the same run for the A/B; null to skip.</param>
    public static async Task RunAsync(IServiceProvider services, string connectionString, long customerId, int users, IServiceProvider? unprepared = null, string setting = "Max Auto Prepare=0")
    {
        await using (var scope = services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("bench"));
            await scope.ServiceProvider.GetRequiredService<UserDataGenerator>().GenerateAsync(users, Console.Out);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await new NpgsqlCommand("ANALYZE", connection).ExecuteNonQueryAsync();
        long tenantUsers = (long)(await new NpgsqlCommand($"SELECT count(*) FROM users WHERE customer_id = {customerId}", connection).ExecuteScalarAsync())!;
        Console.WriteLine($"Users grid, customer admin of a tenant with {tenantUsers:N0} users, sort by name, {PageSize} rows a page, median of {InterleavedRounds} rounds, each timing every column in turn (OFFSET+count: of {Measure.Rounds} runs):");
        Console.WriteLine($"  {"depth",-8} {"portal call",12} {"= page",10} {"+ count",10} {"page turn",10} {"raw page",10} {"raw count",10} {"OFFSET+count",13} {"page/raw page",14} {"call/raw (page+count)",22} {"turn/raw page",14}");

        var parts = new List<(int Depth, PageRequest Request, PageCursor? Cursor)>();
        var withoutPreparation = new List<(double Call, double Page, double Count, double Raw)>();
        var depths = new[] { 0, 10_000, 100_000, (int)tenantUsers - PageSize }.Where(d => d < tenantUsers).Distinct();
        foreach (int depth in depths)
        {
            PageCursor? cursor = null;
            if (depth > 0)
            {
                await using var at = new NpgsqlCommand($"SELECT display_name, id FROM users WHERE customer_id = {customerId} ORDER BY display_name, id OFFSET {depth - 1} LIMIT 1", connection);
                await using var reader = await at.ExecuteReaderAsync();
                await reader.ReadAsync();
                cursor = new PageCursor(reader.GetString(0), reader.GetInt64(1));
            }

            var request = cursor is null ? new PageRequest(Size: PageSize) : new PageRequest(PageRequestKind.After, cursor, PageSize);
            // Every column of a depth is timed in the same rounds, one after the other (A B C … A B C …): on a shared
            // machine the load changes between blocks of runs, so a ratio of two separate blocks measured the load.
            await using var circuit = services.CreateAsyncScope();
            // One circuit's service: the first call counts, the turns after it reuse the count (RememberedCount).
            circuit.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(customerId));
            var circuitUsers = circuit.ServiceProvider.GetRequiredService<UserService>();
            await circuitUsers.GetPageAsync(new UserFilter(), new PageRequest(Size: PageSize));
            string rawCountSql = $"SELECT count(*) FROM (SELECT 1 FROM users WHERE customer_id = {customerId} LIMIT {CappedCount.Cap + 1}) AS capped";
            var columns = new List<Func<Task<int>>>
            {
                () => WithUsers(services, customerId, async users => (await users.GetPageAsync(new UserFilter(), request)).Rows.Count),
                () => WithUsers(services, customerId, async users => (await users.GetRowsAsync(new UserFilter(), request)).Rows.Count),
                () => WithUsers(services, customerId, async users => (await users.CountAsync(new UserFilter())).Value),
                async () => (await circuitUsers.GetPageAsync(new UserFilter(), request)).Rows.Count,
                () => CountRowsAsync(connection, RawPage(customerId, cursor), cursor),
                () => CountRowsAsync(connection, rawCountSql, null),
            };
            if (unprepared is not null)
            {
                columns.Add(() => WithUsers(unprepared, customerId, async users => (await users.GetPageAsync(new UserFilter(), request)).Rows.Count));
                columns.Add(() => WithUsers(unprepared, customerId, async users => (await users.GetRowsAsync(new UserFilter(), request)).Rows.Count));
                columns.Add(() => WithUsers(unprepared, customerId, async users => (await users.CountAsync(new UserFilter())).Value));
            }

            var medians = await Measure.InterleavedMediansAsync(columns, InterleavedRounds);
            var (portal, page, count, turn, raw, rawCount) = (medians[0], medians[1], medians[2], medians[3], medians[4], medians[5]);
            double offset = await Measure.MedianAsync(async () =>
                await CountRowsAsync(connection, $"SELECT id, display_name, email FROM users WHERE customer_id = {customerId} ORDER BY display_name, id OFFSET {depth} LIMIT {PageSize}", null)
                + await CountRowsAsync(connection, $"SELECT count(*) FROM users WHERE customer_id = {customerId}", null));
            Console.WriteLine($"  {depth,-8:N0} {portal,9:F2} ms {page,7:F2} ms {count,7:F2} ms {turn,7:F2} ms {raw,7:F2} ms {rawCount,7:F2} ms {offset,10:F2} ms {page / raw,13:F2}x {portal / (raw + rawCount),21:F2}x {turn / raw,13:F2}x");
            parts.Add((depth, request, cursor));
            if (unprepared is not null)
            {
                withoutPreparation.Add((medians[6], medians[7], medians[8], raw + rawCount));
            }
        }

        if (withoutPreparation.Count > 0)
        {
            Console.WriteLine($"The same calls with \"{setting}\" added to the connection string (timed in the same rounds as the rows above):");
            Console.WriteLine($"  {"depth",-8} {"portal call",12} {"= page",10} {"+ count",10} {"call/raw (page+count)",22}");
            for (int i = 0; i < parts.Count; i++)
            {
                var (call, page, count, raw) = withoutPreparation[i];
                Console.WriteLine($"  {parts[i].Depth,-8:N0} {call,9:F2} ms {page,7:F2} ms {count,7:F2} ms {call / raw,21:F2}x");
            }
        }

        await PartsAsync(services, connection, connectionString, customerId, parts);
        await CompareSqlAsync(services, connection, customerId, parts.First(p => p.Cursor is not null || p == parts[^1]));
    }

    /// <summary>
    /// Where the page call's time goes, per depth: a new context with its connection opened and closed (what every call
    /// pays before its query), the page query on a context that is already open, and the raw page on a fresh pooled
    /// connection (the raw column reuses one open connection).
    /// </summary>
    private static async Task PartsAsync(IServiceProvider services, NpgsqlConnection connection, string connectionString, long customerId, List<(int Depth, PageRequest Request, PageCursor? Cursor)> parts)
    {
        Console.WriteLine("Where the page call goes (median of the same rounds; \"EF's SQL\" is the page's command as EF sent it, run by Npgsql");
        Console.WriteLine("on the portal's connection string, so EF page minus it is EF's own time; plans: the page statement's on the context's connection):");
        Console.WriteLine($"  {"depth",-8} {"new context+open",17} {"EF page, open ctx",18} {"EF's SQL",10} {"raw page",10} {"raw page, new conn",19}  plans (generic/custom)");
        await using var circuit = services.CreateAsyncScope();
        circuit.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(customerId));
        var factory = circuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var users = circuit.ServiceProvider.GetRequiredService<UserService>();
        foreach (var (depth, request, cursor) in parts)
        {
            double context = await Measure.MedianAsync(async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                await db.Database.OpenConnectionAsync();
                await db.Database.CloseConnectionAsync();
                return 0;
            });
            double query;
            string plans;
            var commands = new List<(string Sql, NpgsqlParameter[] Parameters)>();
            await using (var db = await factory.CreateDbContextAsync())
            {
                await db.Database.OpenConnectionAsync();
                query = await Measure.MedianAsync(async () => (await users.GetRowsAsync(db, new UserFilter(), request)).Rows.Count);
                using (CommandCapture.Start(command => commands.Add((command.CommandText, command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Clone()).ToArray()))))
                {
                    await users.GetRowsAsync(db, new UserFilter(), request);
                }

                plans = await PlansAsync((NpgsqlConnection)db.Database.GetDbConnection(), seek: cursor is not null);
            }

            double efSql = await Measure.MedianAsync(async () =>
            {
                await using var portalConnection = new NpgsqlConnection(DatabaseSetup.PostgresConnectionString(connectionString));
                await portalConnection.OpenAsync();
                await using var command = new NpgsqlCommand(commands[0].Sql, portalConnection);
                command.Parameters.AddRange(commands[0].Parameters.Select(p => p.Clone()).ToArray());
                await using var reader = await command.ExecuteReaderAsync();
                int rows = 0;
                while (await reader.ReadAsync())
                {
                    rows++;
                }

                return rows;
            });

            double raw = await Measure.MedianAsync(() => CountRowsAsync(connection, RawPage(customerId, cursor), cursor));
            double rawFresh = await Measure.MedianAsync(async () =>
            {
                await using var fresh = new NpgsqlConnection(connectionString);
                await fresh.OpenAsync();
                return await CountRowsAsync(fresh, RawPage(customerId, cursor), cursor);
            });
            Console.WriteLine($"  {depth,-8:N0} {context,14:F3} ms {query,15:F3} ms {efSql,7:F3} ms {raw,7:F3} ms {rawFresh,16:F3} ms  {plans}");
        }
    }

    /// <summary>
    /// How PostgreSQL ran the users page prepared on this connection (Npgsql sends it with $1…$n for EF's names, so it
    /// is found by its shape: by name, with or without the seek): "generic/custom" plan counts, or "not prepared".
    /// </summary>
    private static async Task<string> PlansAsync(NpgsqlConnection connection, bool seek)
    {
        await using var command = new NpgsqlCommand(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%ORDER BY u.display_name, u.id%' " +
            "AND (statement LIKE '%u.display_name >= %') = @seek ORDER BY generic_plans + custom_plans DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("seek", seek);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? $"{reader.GetInt64(0)}/{reader.GetInt64(1)}" : "not prepared";
    }

    /// <summary>The SQL EF sends for the page and the count (captured as executed, with its parameters) and the plans of both sides.</summary>
    private static async Task CompareSqlAsync(IServiceProvider services, NpgsqlConnection connection, long customerId, (int Depth, PageRequest Request, PageCursor? Cursor) at)
    {
        var commands = new List<(string Sql, NpgsqlParameter[] Parameters)>();
        using (CommandCapture.Start(command => commands.Add((command.CommandText, command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Clone()).ToArray()))))
        {
            await WithUsers(services, customerId, async users => (await users.GetPageAsync(new UserFilter(), at.Request)).Rows.Count);
        }

        Console.WriteLine($"SQL at depth {at.Depth:N0}: EF's page and count, as executed, then the benchmark's raw page:");
        foreach (var (sql, parameters) in commands)
        {
            Console.WriteLine(sql);
            Console.WriteLine("  -- " + string.Join(", ", parameters.Select(p => $"{p.ParameterName}={p.Value} ({p.NpgsqlDbType})")));
            await ExplainAsync(connection, sql, parameters);
            Console.WriteLine("  -- the same statement prepared, on its generic plan (plan_cache_mode = force_generic_plan), as PostgreSQL may run it after five executions:");
            await ExplainGenericAsync(connection, sql, parameters);
        }

        string raw = RawPage(customerId, at.Cursor);
        Console.WriteLine(raw);
        await ExplainAsync(connection, raw, at.Cursor is null ? [] : [new NpgsqlParameter("name", at.Cursor.Key!), new NpgsqlParameter("id", at.Cursor.Id)]);
    }

    private static async Task ExplainAsync(NpgsqlConnection connection, string sql, NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql, connection);
        command.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Console.WriteLine("    " + reader.GetString(0));
        }
    }

    /// <summary>
    /// EXPLAIN ANALYZE of the statement's generic plan: PREPARE with the parameters as $1…$n, force the generic plan,
    /// EXECUTE with the values as literals. Shows whether the tenant filter's OR and the keyset seek survive planning
    /// without the values.
    /// </summary>
    private static async Task ExplainGenericAsync(NpgsqlConnection connection, string sql, NpgsqlParameter[] parameters)
    {
        string positional = sql;
        var ordered = parameters.OrderByDescending(p => p.ParameterName.Length).ToList(); // @Value before @Value3's prefix
        foreach (var parameter in ordered)
        {
            positional = System.Text.RegularExpressions.Regex.Replace(positional, "@" + System.Text.RegularExpressions.Regex.Escape(parameter.ParameterName.TrimStart('@')) + @"\b", "$$" + (Array.IndexOf(parameters, parameter) + 1));
        }

        string Literal(NpgsqlParameter p) => p.Value switch
        {
            bool b => b ? "true" : "false",
            string text => "'" + text.Replace("'", "''") + "'",
            IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => "NULL",
        };

        string types = string.Join(", ", parameters.Select(p => p.Value switch { bool => "boolean", string => "varchar", long => "bigint", int => "integer", _ => "unknown" }));
        await using (var prepare = new NpgsqlCommand($"SET plan_cache_mode = force_generic_plan; PREPARE generic_plan ({types}) AS {positional}", connection))
        {
            await prepare.ExecuteNonQueryAsync();
        }

        try
        {
            await using var command = new NpgsqlCommand($"EXPLAIN (ANALYZE, BUFFERS) EXECUTE generic_plan ({string.Join(", ", parameters.Select(Literal))})", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Console.WriteLine("    " + reader.GetString(0));
            }
        }
        finally
        {
            await using var deallocate = new NpgsqlCommand("DEALLOCATE generic_plan; RESET plan_cache_mode", connection);
            await deallocate.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The SQL the portal's page query amounts to, written by hand: the same columns, join and EXISTS.</summary>
    private static string RawPage(long customerId, PageCursor? cursor) =>
        "SELECT u.id, u.display_name, u.email, s.name, (u.password_hash IS NOT NULL OR u.azure_object_id IS NOT NULL), " +
        "EXISTS (SELECT 1 FROM user_ciam_mappings m WHERE m.user_id = u.id), u.login_count, u.last_login_at, u.sync_status, " +
        "u.is_active, u.is_locked, u.created_at, (u.invited_at IS NOT NULL AND u.invitation_accepted_at IS NULL) " +
        $"FROM users u JOIN sites s ON s.id = u.site_id WHERE u.customer_id = {customerId} " +
        (cursor is null ? "" : "AND u.display_name >= @name AND (u.display_name > @name OR u.id > @id) ") +
        $"ORDER BY u.display_name, u.id LIMIT {PageSize + 1}";

    private static async Task<int> WithUsers(IServiceProvider services, long customerId, Func<UserService, Task<int>> call)
    {
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(customerId));
        return await call(scope.ServiceProvider.GetRequiredService<UserService>());
    }

    private static async Task<int> CountRowsAsync(NpgsqlConnection connection, string sql, PageCursor? cursor)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (cursor is not null)
        {
            command.Parameters.AddWithValue("name", cursor.Key!);
            command.Parameters.AddWithValue("id", cursor.Id);
        }

        await using var reader = await command.ExecuteReaderAsync();
        int rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
        }

        return rows;
    }
}

/// <summary>Hands every command EF is about to execute, in this process, to a callback (EF's DiagnosticSource events).</summary>
internal sealed class CommandCapture : IObserver<System.Diagnostics.DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly Action<System.Data.Common.DbCommand> onCommand;
    private readonly List<IDisposable> subscriptions = [];

    private CommandCapture(Action<System.Data.Common.DbCommand> onCommand) => this.onCommand = onCommand;

    public static IDisposable Start(Action<System.Data.Common.DbCommand> onCommand)
    {
        var capture = new CommandCapture(onCommand);
        capture.subscriptions.Add(System.Diagnostics.DiagnosticListener.AllListeners.Subscribe(capture));
        return capture;
    }

    public void OnNext(System.Diagnostics.DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name)
        {
            lock (subscriptions)
            {
                subscriptions.Add(listener.Subscribe(this));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.CommandExecuting.Name && value.Value is Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData data)
        {
            onCommand(data.Command);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        lock (subscriptions)
        {
            subscriptions.ForEach(s => s.Dispose());
        }
    }
}
