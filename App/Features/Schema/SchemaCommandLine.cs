using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdminPortal.App.Features.Schema;

/// <summary>
/// <c>dotnet run -- schema status|drift|adopt</c>, for operators and CI (parsed by PortalCommandLine). Exit codes: 0 fine;
/// 3 migrations pending (status); 4 drift (drift, or adopt refusing).
/// </summary>
public static class SchemaCommandLine
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public static async Task<int> StatusAsync(IServiceProvider services, bool json, TextWriter output)
    {
        var schema = services.GetRequiredService<SchemaService>();
        var status = await schema.GetStatusAsync();
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(status, Json));
        }
        else
        {
            await output.WriteLineAsync($"Provider:  {status.Provider}");
            await output.WriteLineAsync($"Database:  {status.Database}");
            if (status.HasForeignHistory)
            {
                await output.WriteLineAsync("History:   migration_status has another tool's shape; run: dotnet run -- schema adopt");
            }

            await output.WriteLineAsync($"Applied ({status.Applied.Count}):");
            foreach (var migration in status.Applied)
            {
                await output.WriteLineAsync($"  {migration.Id}");
            }

            await output.WriteLineAsync($"Pending ({status.Pending.Count}):");
            foreach (var migration in status.Pending)
            {
                await output.WriteLineAsync($"  {migration.Id}");
            }

            await output.WriteLineAsync(status.UpToDate ? "Up to date." : "Migrations are pending: dotnet run -- migrate");
        }

        return status.UpToDate ? 0 : SchemaService.ExitPending;
    }

    public static async Task<int> DriftAsync(IServiceProvider services, bool json, TextWriter output)
    {
        var schema = services.GetRequiredService<SchemaService>();
        var drift = await schema.GetDriftAsync();
        await WriteDriftAsync(output, drift, json);
        return drift.HasDrift ? SchemaService.ExitDrift : 0;
    }

    public static async Task<int> AdoptAsync(IServiceProvider services, bool json, bool dryRun, TextWriter output)
    {
        var schema = services.GetRequiredService<SchemaService>();
        var result = await schema.AdoptAsync(dryRun);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(result, Json));
            return result.Outcome == AdoptOutcome.RefusedDrift ? SchemaService.ExitDrift : 0;
        }

        switch (result.Outcome)
        {
            case AdoptOutcome.AlreadyTracked:
                await output.WriteLineAsync("The database already has this app's migration history: nothing to adopt. See: dotnet run -- schema status");
                return 0;
            case AdoptOutcome.RefusedDrift:
                await output.WriteLineAsync("Adopt refused: the live schema differs from the model. Nothing was changed.");
                await WriteDriftAsync(output, result.Drift, json: false);
                return SchemaService.ExitDrift;
            default:
                string verb = dryRun ? "Would record" : "Recorded";
                if (result.MovesForeignHistory)
                {
                    await output.WriteLineAsync($"{(dryRun ? "Would rename" : "Renamed")} the existing migration_status (another tool's history) to {SchemaService.LegacyHistoryTable}, rows intact.");
                }

                await output.WriteLineAsync($"{verb} {result.Migrations.Count} migration(s) as applied (baseline): {string.Join(", ", result.Migrations)}");
                if (!dryRun && (await schema.GetStatusAsync()).Pending.Count is int pending and > 0)
                {
                    await output.WriteLineAsync($"{pending} newer migration(s) remain: dotnet run -- migrate");
                }
                foreach (var extra in result.Drift.Items)
                {
                    await output.WriteLineAsync($"  kept (harmless): {extra}");
                }

                return 0;
        }
    }

    private static async Task WriteDriftAsync(TextWriter output, DriftReport drift, bool json)
    {
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(drift, Json));
            return;
        }

        if (!drift.HasDrift)
        {
            await output.WriteLineAsync($"No drift: the database matches {drift.ComparedWith}.");
            return;
        }

        await output.WriteLineAsync($"Drift against {drift.ComparedWith}: {drift.Items.Count} difference(s).");
        foreach (var table in drift.Items.GroupBy(i => i.Table))
        {
            await output.WriteLineAsync($"{table.Key}:");
            foreach (var item in table)
            {
                await output.WriteLineAsync($"  - {item}{(item.Harmless ? " (harmless extra)" : "")}");
            }
        }
    }
}
