using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
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

    public static async Task RunAsync(IServiceProvider services, string connectionString, long customerId, int users)
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
        Console.WriteLine($"Users grid, customer admin of a tenant with {tenantUsers:N0} users, sort by name, {PageSize} rows a page, median of {Measure.Rounds} runs:");
        Console.WriteLine($"  {"depth",-8} {"portal call",12} {"= page",10} {"+ count",10} {"page turn",10} {"raw page",10} {"raw count",10} {"OFFSET+count",13} {"page/raw page",14} {"call/raw (page+count)",22} {"turn/raw page",14}");

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
            double portal = await Measure.MedianAsync(() => WithUsers(services, customerId, async users => (await users.GetPageAsync(new UserFilter(), request)).Rows.Count));
            double page = await Measure.MedianAsync(() => WithUsers(services, customerId, async users => (await users.GetRowsAsync(new UserFilter(), request)).Rows.Count));
            double count = await Measure.MedianAsync(() => WithUsers(services, customerId, async users => (await users.CountAsync(new UserFilter())).Value));
            double turn;
            await using (var circuit = services.CreateAsyncScope())
            {
                // One circuit's service: the first call counts, the turns after it reuse the count (RememberedCount).
                circuit.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(customerId));
                var circuitUsers = circuit.ServiceProvider.GetRequiredService<UserService>();
                await circuitUsers.GetPageAsync(new UserFilter(), new PageRequest(Size: PageSize));
                turn = await Measure.MedianAsync(async () => (await circuitUsers.GetPageAsync(new UserFilter(), request)).Rows.Count);
            }

            double raw = await Measure.MedianAsync(() => CountRowsAsync(connection, RawPage(customerId, cursor), cursor));
            double rawCount = await Measure.MedianAsync(() => CountRowsAsync(connection,
                $"SELECT count(*) FROM (SELECT 1 FROM users WHERE customer_id = {customerId} LIMIT {CappedCount.Cap + 1}) AS capped", null));
            double offset = await Measure.MedianAsync(async () =>
                await CountRowsAsync(connection, $"SELECT id, display_name, email FROM users WHERE customer_id = {customerId} ORDER BY display_name, id OFFSET {depth} LIMIT {PageSize}", null)
                + await CountRowsAsync(connection, $"SELECT count(*) FROM users WHERE customer_id = {customerId}", null));
            Console.WriteLine($"  {depth,-8:N0} {portal,9:F2} ms {page,7:F2} ms {count,7:F2} ms {turn,7:F2} ms {raw,7:F2} ms {rawCount,7:F2} ms {offset,10:F2} ms {page / raw,13:F2}x {portal / (raw + rawCount),21:F2}x {turn / raw,13:F2}x");
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
