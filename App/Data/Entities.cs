namespace AdminPortal.App.Data;

/// <summary>Every table has a time-ordered bigint id (see <see cref="TimeOrderedId"/>).</summary>
public interface IHasId
{
    long Id { get; set; }
}

/// <summary>An editable row: <see cref="Version"/> is the app-managed concurrency token.</summary>
/// <remarks>Never PostgreSQL's xmin: CockroachDB and SQLite have no such column.</remarks>
public interface IVersioned
{
    long Version { get; set; }
}

public interface IHasTimestamps
{
    DateTime CreatedAt { get; set; }
    DateTime UpdatedAt { get; set; }
}

/// <summary>A row owned by one customer (tenant), directly through its customer_id.</summary>
public interface ICustomerOwned
{
    long CustomerId { get; }
}

/// <summary>A row owned by one site, and so by that site's customer.</summary>
public interface ISiteOwned
{
    long SiteId { get; }
}

/// <summary>Marks a property whose value must never reach the audit log or any log.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
