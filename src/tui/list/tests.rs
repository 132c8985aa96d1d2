//! The list's rules: grouping, ranking, moving, the sticky heading, reloads.

use super::*;
use crate::secret::{Scope, SecretMeta, SecretName};

fn meta(scope: Scope, name: &str, keys: &[&str]) -> SecretMeta {
    SecretMeta {
        name: SecretName::new(name).unwrap(),
        scope,
        schema: "arbitrary".into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        created: 0,
        updated: 0,
        version: 1,
    }
}

fn sample() -> SecretList {
    SecretList::new(vec![
        meta(Scope::User, "github", &["token"]),
        meta(Scope::Workspace, "db", &["host", "password"]),
        meta(Scope::Workspace, "mlflow", &["username", "password"]),
    ])
}

fn names(l: &SecretList) -> Vec<String> {
    l.rows()
        .iter()
        .filter_map(|r| match r {
            Row::Item(i) => Some(l.meta(*i).name.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn groups_by_scope_with_counts() {
    let l = sample();
    assert_eq!(
        l.rows()[0],
        Row::Header {
            scope: Scope::User,
            shown: 1,
            total: 1,
            collapsed: false,
        }
    );
    assert_eq!(l.rows().len(), 5);
    assert_eq!(l.selected().unwrap().name.as_str(), "github");
    assert_eq!(l.position(), (1, 3));
}

#[test]
fn filter_ranks_name_matches_first() {
    let mut l = sample();
    l.set_query("ml");
    assert_eq!(names(&l), ["mlflow"]);
    l.set_query("mlx");
    assert_eq!(l.shown(), 0);
    assert!(l.selected().is_none());
    l.set_query("pass"); // keys only
    assert_eq!(l.shown(), 2);
    assert_eq!(l.hit(0).unwrap().tier, 1);
    l.set_query("d");
    assert_eq!(names(&l)[0], "db", "a name match ranks above key matches");
    l.set_query("");
    assert_eq!(l.shown(), 3);
    l.set_names_only(true);
    l.set_query("pass");
    assert_eq!(l.shown(), 0);
}

#[test]
fn moves_skip_headings_and_collapsed_groups_are_one_row() {
    let mut l = sample();
    l.move_by(1);
    assert_eq!(l.selected().unwrap().name.as_str(), "db");
    l.move_by(-1);
    assert_eq!(l.selected().unwrap().name.as_str(), "github");
    l.toggle_group();
    assert_eq!(l.selected_header(), Some(Scope::User));
    l.move_by(1);
    assert_eq!(l.selected().unwrap().name.as_str(), "db");
    l.move_by(-1);
    assert_eq!(l.selected_header(), Some(Scope::User));
    l.toggle_group();
    assert_eq!(l.selected().unwrap().name.as_str(), "github");
    l.jump_scope(1);
    assert_eq!(l.selected().unwrap().name.as_str(), "db");
    l.jump_scope(-1);
    assert_eq!(l.selected().unwrap().name.as_str(), "github");
}

#[test]
fn sticky_heading_and_clicks_agree() {
    let metas = (0..30)
        .map(|i| meta(Scope::Workspace, &format!("s{i:02}"), &["k"]))
        .collect();
    let mut l = SecretList::new(metas);
    for _ in 0..20 {
        l.move_by(1);
    }
    l.ensure_visible(10);
    let lines = l.lines(10);
    assert_eq!(lines[0], Line::Sticky(Scope::Workspace));
    assert!(lines.contains(&Line::Row(l.selected_row())));
    l.click(1, 10);
    let Line::Row(r) = lines[1] else { panic!() };
    assert_eq!(l.selected_row(), r);
}

#[test]
fn sort_and_reload_keep_the_selection() {
    let mut l = sample();
    l.bottom();
    assert_eq!(l.selected().unwrap().name.as_str(), "mlflow");
    let mut metas = l.metas().to_vec();
    metas[2].updated = 9;
    metas.push(meta(Scope::Workspace, "cache", &["url"]));
    l.replace(metas);
    assert_eq!(l.selected().unwrap().name.as_str(), "mlflow");
    l.set_sort(Sort::Updated);
    assert_eq!(names(&l), ["github", "mlflow", "cache", "db"]);
    assert_eq!(l.selected().unwrap().name.as_str(), "mlflow");
}

#[test]
fn upsert_and_remove_keep_order() {
    let mut l = sample();
    l.upsert(meta(Scope::Workspace, "cache", &["url"]));
    assert_eq!(l.selected().unwrap().name.as_str(), "cache");
    l.remove(Scope::Workspace, &SecretName::new("cache").unwrap());
    assert_eq!(l.len(), 3);
    assert!(l.selected().is_some());
}
