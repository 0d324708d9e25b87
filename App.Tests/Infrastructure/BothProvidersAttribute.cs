using System.Reflection;
using AdminPortal.App.Data;
using Xunit.Sdk;

namespace AdminPortal.Tests.Infrastructure;

/// <summary>Runs a data-layer theory once on SQLite and once on PostgreSQL.</summary>
public sealed class BothProvidersAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
    [
        [DatabaseProvider.Sqlite],
        [DatabaseProvider.Postgres],
    ];
}
