using Microsoft.EntityFrameworkCore.Metadata;

namespace AdminPortal.App.Features.Schema;

public sealed record ColumnShape(string Name, string StoreType, bool IsNullable, bool HasDefault);

public sealed record IndexShape(string Name, IReadOnlyList<string> Columns, bool IsUnique);

public sealed record ForeignKeyShape(IReadOnlyList<string> Columns, string PrincipalTable, IReadOnlyList<string> PrincipalColumns)
{
    public string Describe() => $"({string.Join(", ", Columns)}) → {PrincipalTable}({string.Join(", ", PrincipalColumns)})";
}

public sealed record TableShape(string Name, IReadOnlyList<ColumnShape> Columns, IReadOnlyList<IndexShape> Indexes, IReadOnlyList<ForeignKeyShape> ForeignKeys);

/// <summary>A database schema as the drift check sees it: tables, columns (type, nullability), indexes, foreign keys.</summary>
public sealed record SchemaShape(IReadOnlyList<TableShape> Tables)
{
    /// <summary>What EF's relational model (of the current model, or of a migration's target model) says the database holds.</summary>
    public static SchemaShape FromModel(IRelationalModel model) => new(model.Tables
        .Select(table => new TableShape(
            table.Name,
            table.Columns.Select(c => new ColumnShape(c.Name, c.StoreType, c.IsNullable, c.DefaultValueSql is not null || c.DefaultValue is not null)).ToList(),
            table.Indexes.Select(i => new IndexShape(i.Name, i.Columns.Select(c => c.Name).ToList(), i.IsUnique)).ToList(),
            table.ForeignKeyConstraints.Select(f => new ForeignKeyShape(f.Columns.Select(c => c.Name).ToList(), f.PrincipalTable.Name, f.PrincipalColumns.Select(c => c.Name).ToList())).ToList()))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToList());
}

public enum DriftKind
{
    MissingTable,
    ExtraTable,
    MissingColumn,
    ExtraColumn,
    TypeDiffers,
    NullabilityDiffers,
    MissingIndex,
    ExtraIndex,
    IndexDiffers,
    MissingForeignKey,
    ExtraForeignKey,
}

/// <summary>One difference between the live database and what the model expects.</summary>
/// <param name="Harmless">An extra that can stay: an extra table, a nullable or defaulted extra column, a non-unique extra index.</param>
public sealed record DriftItem(string Table, DriftKind Kind, string Object, string? Expected, string? Actual, bool Harmless)
{
    public override string ToString() => Kind switch
    {
        DriftKind.MissingTable => $"table {Table} is missing",
        DriftKind.ExtraTable => $"table {Table} is not in the model",
        DriftKind.MissingColumn => $"{Table}.{Object} is missing (expected {Expected})",
        DriftKind.ExtraColumn => $"{Table}.{Object} ({Actual}) is not in the model",
        DriftKind.TypeDiffers => $"{Table}.{Object} is {Actual}, expected {Expected}",
        DriftKind.NullabilityDiffers => $"{Table}.{Object} is {Actual}, expected {Expected}",
        DriftKind.MissingIndex => $"index {Object} on {Table} is missing (expected {Expected})",
        DriftKind.ExtraIndex => $"index {Object} on {Table} ({Actual}) is not in the model",
        DriftKind.IndexDiffers => $"index {Object} on {Table} is {Actual}, expected {Expected}",
        DriftKind.MissingForeignKey => $"foreign key {Expected} on {Table} is missing",
        DriftKind.ExtraForeignKey => $"foreign key {Actual} on {Table} is not in the model",
        _ => $"{Kind} {Table} {Object}",
    };
}

public static class SchemaComparer
{
    /// <summary>Every difference, table by table. Type names compare case-insensitively (SQLite declares INTEGER, TEXT).</summary>
    public static List<DriftItem> Compare(SchemaShape expected, SchemaShape live)
    {
        var drift = new List<DriftItem>();
        var liveTables = live.Tables.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var table in expected.Tables)
        {
            if (!liveTables.TryGetValue(table.Name, out var actual))
            {
                drift.Add(new DriftItem(table.Name, DriftKind.MissingTable, table.Name, "table", null, false));
                continue;
            }

            var actualColumns = actual.Columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
            foreach (var column in table.Columns)
            {
                if (!actualColumns.TryGetValue(column.Name, out var liveColumn))
                {
                    drift.Add(new DriftItem(table.Name, DriftKind.MissingColumn, column.Name, Describe(column), null, false));
                    continue;
                }

                if (!string.Equals(Normalize(column.StoreType), Normalize(liveColumn.StoreType), StringComparison.OrdinalIgnoreCase))
                {
                    drift.Add(new DriftItem(table.Name, DriftKind.TypeDiffers, column.Name, column.StoreType, liveColumn.StoreType, false));
                }

                if (column.IsNullable != liveColumn.IsNullable)
                {
                    drift.Add(new DriftItem(table.Name, DriftKind.NullabilityDiffers, column.Name, Nullability(column), Nullability(liveColumn), false));
                }
            }

            foreach (var extra in actual.Columns.Where(c => table.Columns.All(e => e.Name != c.Name)))
            {
                drift.Add(new DriftItem(table.Name, DriftKind.ExtraColumn, extra.Name, null, Describe(extra), extra.IsNullable || extra.HasDefault));
            }

            var actualIndexes = actual.Indexes.ToDictionary(i => i.Name, StringComparer.Ordinal);
            foreach (var index in table.Indexes)
            {
                if (!actualIndexes.TryGetValue(index.Name, out var liveIndex))
                {
                    drift.Add(new DriftItem(table.Name, DriftKind.MissingIndex, index.Name, Describe(index), null, false));
                }
                else if (Describe(index) != Describe(liveIndex))
                {
                    drift.Add(new DriftItem(table.Name, DriftKind.IndexDiffers, index.Name, Describe(index), Describe(liveIndex), false));
                }
            }

            foreach (var extra in actual.Indexes.Where(i => table.Indexes.All(e => e.Name != i.Name)))
            {
                drift.Add(new DriftItem(table.Name, DriftKind.ExtraIndex, extra.Name, null, Describe(extra), !extra.IsUnique));
            }

            // Foreign keys compare by what they connect: SQLite keeps no constraint names.
            foreach (var key in table.ForeignKeys.Where(k => !actual.ForeignKeys.Any(a => Same(a, k))))
            {
                drift.Add(new DriftItem(table.Name, DriftKind.MissingForeignKey, string.Join(",", key.Columns), key.Describe(), null, false));
            }

            foreach (var key in actual.ForeignKeys.Where(a => !table.ForeignKeys.Any(k => Same(a, k))))
            {
                drift.Add(new DriftItem(table.Name, DriftKind.ExtraForeignKey, string.Join(",", key.Columns), null, key.Describe(), false));
            }
        }

        foreach (var extra in live.Tables.Where(t => expected.Tables.All(e => e.Name != t.Name)))
        {
            drift.Add(new DriftItem(extra.Name, DriftKind.ExtraTable, extra.Name, null, "table", true));
        }

        return drift;
    }

    private static bool Same(ForeignKeyShape a, ForeignKeyShape b) =>
        a.PrincipalTable == b.PrincipalTable && a.Columns.SequenceEqual(b.Columns) && a.PrincipalColumns.SequenceEqual(b.PrincipalColumns);

    private static string Normalize(string storeType) => storeType.Replace(" ", "", StringComparison.Ordinal);

    private static string Nullability(ColumnShape column) => column.IsNullable ? "NULL" : "NOT NULL";

    private static string Describe(ColumnShape column) => $"{column.StoreType} {Nullability(column)}";

    private static string Describe(IndexShape index) => $"{(index.IsUnique ? "unique " : "")}({string.Join(", ", index.Columns)})";
}
