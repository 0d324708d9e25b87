using Npgsql;

namespace AdminPortal.Tests.Infrastructure;

public class StoppablePostgresTests
{
    [Fact]
    public async Task StopAsync_RunningCluster_RefusesConnectionsUntilStartedAgain()
    {
        await using var cluster = await StoppablePostgres.StartAsync();
        string connectionString = await cluster.CreateDatabaseAsync("probe");
        Assert.Equal(1, await ScalarAsync(connectionString));

        await cluster.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(connectionString));

        await cluster.StartAgainAsync();
        Assert.Equal(1, await ScalarAsync(connectionString));
    }

    private static async Task<int> ScalarAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
