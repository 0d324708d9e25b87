namespace AdminPortal.Tests.Infrastructure;

/// <summary>SQLite's EXPLAIN QUERY PLAN for a captured command, with its parameters bound: the plan tests' one reader.</summary>
public static class SqlitePlan
{
    /// <summary>The plan's detail lines ("SEARCH u USING INDEX …", "SCAN p", "USE TEMP B-TREE FOR ORDER BY"), in order.</summary>
    public static async Task<List<string>> LinesAsync(string connectionString, string sql, IEnumerable<(string Name, object? Value)> parameters)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(3));
        }

        return lines;
    }

    /// <summary>The plan as one text, a line a step.</summary>
    public static async Task<string> TextAsync(string connectionString, string sql, IEnumerable<(string Name, object? Value)> parameters) =>
        string.Join("\n", await LinesAsync(connectionString, sql, parameters));
}
