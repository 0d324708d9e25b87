using AdminPortal.App.Data;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Posts;

public enum PostStatus
{
    Draft,
    Scheduled,
    Published,
}

/// <summary>A post of one site. A soft-deleted post has <see cref="DeletedAt"/> set and is in the Trash.</summary>
public class Post : IHasId, IVersioned, IHasTimestamps, ISiteOwned
{
    public const int MaxTitleLength = 300;
    public const int MaxSlugLength = 200;

    /// <summary>
    /// 100,000 characters of Markdown (about 15,000 words, several times a long article). The editor sends the whole
    /// text over the circuit on every keystroke and re-renders the sanitised preview, so this bounds both the
    /// circuit's message size (see CircuitLimits) and the preview's cost; the column itself is unbounded text.
    /// </summary>
    public const int MaxContentLength = 100_000;

    public long Id { get; set; }
    public long SiteId { get; set; }
    public Site? Site { get; set; }

    /// <summary>
    /// The site's customer, repeated so that a customer-wide posts grid walks an index that leads with the tenant and
    /// matches its sort (with only site_id, SQLite and PostgreSQL read and sort every post of the customer's sites for
    /// each page). Set by <see cref="Data.PortalDbContext"/> on every save from the post's site; never set it by hand.
    /// The Tenant filter still goes through the site, so a stale value can only hide a post, never show it elsewhere.
    /// </summary>
    public long CustomerId { get; set; }
    public long? AuthorId { get; set; }
    public User? Author { get; set; }
    public string Title { get; set; } = "";
    /// <summary>Unique per site.</summary>
    public string Slug { get; set; } = "";
    public string Content { get; set; } = "";
    public PostStatus Status { get; set; } = PostStatus.Draft;
    /// <summary>When it was published, or, for a scheduled post, when it will be.</summary>
    public DateTime? PublishedAt { get; set; }
    public DateTime? DeletedAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal sealed class PostConfiguration : IEntityTypeConfiguration<Post>
{
    public void Configure(EntityTypeBuilder<Post> entity)
    {
        entity.Property(p => p.Title).HasMaxLength(Post.MaxTitleLength);
        entity.Property(p => p.Slug).HasMaxLength(Post.MaxSlugLength);
        entity.Property(p => p.Status).HasMaxLength(16).HasConversion(SnakeCaseEnumConverter.For<PostStatus>());
        entity.ToTable(t => t.HasCheckConstraint("ck_posts_status", SnakeCaseEnumConverter.CheckConstraintSql<PostStatus>("status")));

        entity.HasOne(p => p.Site).WithMany().HasForeignKey(p => p.SiteId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne(p => p.Author).WithMany().HasForeignKey(p => p.AuthorId).OnDelete(DeleteBehavior.Restrict);

        // Slugs stay unique per site even in the Trash, so a restore never collides silently.
        entity.HasIndex(p => new { p.SiteId, p.Slug }).IsUnique();
        // The grid's three sorts within a tab (status), for one site (an editor) and for a customer's sites: a page is a
        // walk of the index that stops after a page, at any depth and any number of posts.
        entity.HasIndex(p => new { p.SiteId, p.Status, p.UpdatedAt, p.Id }).IsDescending(false, false, true, true);
        entity.HasIndex(p => new { p.SiteId, p.Status, p.PublishedAt, p.Id }).IsDescending(false, false, true, true);
        entity.HasIndex(p => new { p.SiteId, p.Status, p.Title, p.Id });
        entity.HasIndex(p => new { p.CustomerId, p.Status, p.UpdatedAt, p.Id }).IsDescending(false, false, true, true);
        entity.HasIndex(p => new { p.CustomerId, p.Status, p.PublishedAt, p.Id }).IsDescending(false, false, true, true);
        entity.HasIndex(p => new { p.CustomerId, p.Status, p.Title, p.Id });
        entity.HasOne<Customers.Customer>().WithMany().HasForeignKey(p => p.CustomerId).OnDelete(DeleteBehavior.Restrict);
        entity.HasIndex(p => new { p.SiteId, p.DeletedAt, p.Id }).IsDescending(false, true, true);
        entity.HasIndex(p => p.AuthorId);
        // The scheduler's query: due posts, oldest first.
        entity.HasIndex(p => new { p.Status, p.PublishedAt });
    }
}
