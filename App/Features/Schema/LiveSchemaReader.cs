using System.Data.Common;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Schema;

/// <summary>Reads the live schema from the database's own catalog: pg_catalog on PostgreSQL, pragma tables on SQLite.</summary>
public static class LiveSchemaReader
{
    /// <summary>Tables that belong to the migration machinery, not to the model.</summary>
    public static readonly HashSet<string> MachineryTables = new(StringComparer.Ordinal)
    {
        DatabaseSetup.HistoryTable, SchemaService.LegacyHistoryTable, "__EFMigrationsLock", "sqlite_sequence",
    };

    public static async Task<SchemaShape> ReadAsync(PortalDbContext db, CancellationToken cancellationToken = default)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = db.Database.GetDbConnection();
            return db.Database.IsNpgsql() ? await ReadPostgresAsync(connection, cancellationToken) : await ReadSqliteAsync(connection, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<SchemaShape> ReadPostgresAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var columns = await QueryAsync(connection, """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.atthasdef
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """, r => (Table: r.GetString(0), Column: new ColumnShape(r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetBoolean(4))), cancellationToken);
        var indexes = await QueryAsync(connection, """
            SELECT t.relname, i.relname, ix.indisunique,
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                                         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',')
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND NOT ix.indisprimary
            """, r => (Table: r.GetString(0), Index: new IndexShape(r.GetString(1), r.GetString(3).Split(','), r.GetBoolean(2))), cancellationToken);
        var keys = await QueryAsync(connection, """
            SELECT t.relname, p.relname,
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord), ','),
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                                         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord), ',')
            FROM pg_constraint con
            JOIN pg_class t ON t.oid = con.conrelid
            JOIN pg_class p ON p.oid = con.confrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND con.contype = 'f'
            """, r => (Table: r.GetString(0), Key: new ForeignKeyShape(r.GetString(2).Split(','), r.GetString(1), r.GetString(3).Split(','))), cancellationToken);
        return Assemble(columns, indexes, keys);
    }

    private static async Task<SchemaShape> ReadSqliteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var tables = await QueryAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", r => r.GetString(0), cancellationToken);
        var columns = new List<(string Table, ColumnShape Column)>();
        var indexes = new List<(string Table, IndexShape Index)>();
        var keys = new List<(string Table, ForeignKeyShape Key)>();
        foreach (string table in tables)
        {
            string quoted = table.Replace("'", "''", StringComparison.Ordinal);
            columns.AddRange(await QueryAsync(connection, $"SELECT name, type, \"notnull\", dflt_value IS NOT NULL FROM pragma_table_info('{quoted}') ORDER BY cid",
                r => (table, new ColumnShape(r.GetString(0), r.GetString(1), r.GetInt64(2) == 0, r.GetInt64(3) == 1)), cancellationToken));
            // origin 'c': made by CREATE INDEX (not the implicit ones behind PRIMARY KEY and UNIQUE constraints).
            var indexNames = await QueryAsync(connection, $"SELECT name, \"unique\" FROM pragma_index_list('{quoted}') WHERE origin = 'c'", r => (Name: r.GetString(0), Unique: r.GetInt64(1) == 1), cancellationToken);
            foreach (var index in indexNames)
            {
                var indexColumns = await QueryAsync(connection, $"SELECT name FROM pragma_index_info('{index.Name.Replace("'", "''", StringComparison.Ordinal)}') ORDER BY seqno", r => r.GetString(0), cancellationToken);
                indexes.Add((table, new IndexShape(index.Name, indexColumns, index.Unique)));
            }

            var foreignKeys = await QueryAsync(connection, $"SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{quoted}') ORDER BY id, seq",
                r => (Id: r.GetInt64(0), Principal: r.GetString(1), From: r.GetString(2), To: r.GetString(3)), cancellationToken);
            keys.AddRange(foreignKeys.GroupBy(k => k.Id).Select(g => (table, new ForeignKeyShape(g.Select(k => k.From).ToList(), g.First().Principal, g.Select(k => k.To).ToList()))));
        }

        return Assemble(columns, indexes, keys);
    }

    private static SchemaShape Assemble(List<(string Table, ColumnShape Column)> columns, List<(string Table, IndexShape Index)> indexes, List<(string Table, ForeignKeyShape Key)> keys) =>
        new(columns.Select(c => c.Table).Distinct().Where(t => !MachineryTables.Contains(t)).Order(StringComparer.Ordinal)
            .Select(table => new TableShape(
                table,
                columns.Where(c => c.Table == table).Select(c => c.Column).ToList(),
                indexes.Where(i => i.Table == table).Select(i => i.Index).ToList(),
                keys.Where(k => k.Table == table).Select(k => k.Key).ToList()))
            .ToList());

    private static async Task<List<T>> QueryAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
