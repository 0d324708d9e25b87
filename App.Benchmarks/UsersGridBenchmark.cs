using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdminPortal.Benchmarks;

/// <summary>
/// The users grid at page 1, 10,000 rows deep and 100,000 rows deep, for a customer admin: the portal's data call
/// (page + capped count), the raw keyset SQL of the same page, and OFFSET + exact count as the baseline.
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
        long tenantUsers = (long)(await new NpgsqlCommand($"SELECT count(*) FROM users WHERE customer_id = {customerId}", connection).ExecuteScalarAsync())!;
        Console.WriteLine($"Users grid, customer admin of a tenant with {tenantUsers:N0} users, sort by name, {PageSize} rows a page, median of {Measure.Rounds} runs:");
        Console.WriteLine($"  {"depth",-8} {"portal call",12} {"raw keyset SQL",15} {"OFFSET+count",13} {"baseline/portal",16} {"portal/raw",11}");

        foreach (int depth in new[] { 0, 10_000, 100_000 })
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
            double portal = await Measure.MedianAsync(async () =>
            {
                await using var scope = services.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(customerId));
                var page = await scope.ServiceProvider.GetRequiredService<UserService>().GetPageAsync(new UserFilter(), request);
                return page.Rows.Count;
            });
            double raw = await Measure.MedianAsync(() => CountRowsAsync(connection, cursor is null
                ? $"SELECT id, display_name, email FROM users WHERE customer_id = {customerId} ORDER BY display_name, id LIMIT {PageSize + 1}"
                : $"SELECT id, display_name, email FROM users WHERE customer_id = {customerId} AND (display_name, id) > (@name, {cursor.Id}) ORDER BY display_name, id LIMIT {PageSize + 1}",
                cursor?.Key));
            double offset = await Measure.MedianAsync(async () =>
                await CountRowsAsync(connection, $"SELECT id, display_name, email FROM users WHERE customer_id = {customerId} ORDER BY display_name, id OFFSET {depth} LIMIT {PageSize}", null)
                + await CountRowsAsync(connection, $"SELECT count(*) FROM users WHERE customer_id = {customerId}", null));
            Console.WriteLine($"  {depth,-8:N0} {portal,9:F2} ms {raw,12:F2} ms {offset,10:F2} ms {offset / portal,15:F1}x {portal / raw,10:F1}x");
        }
    }

    private static async Task<int> CountRowsAsync(NpgsqlConnection connection, string sql, string? name)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (name is not null)
        {
            command.Parameters.AddWithValue("name", name);
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
